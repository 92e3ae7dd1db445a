CREATE TABLE "decision_log_dead_letter" (
	"id" serial PRIMARY KEY NOT NULL,
	"decision_id" uuid NOT NULL,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reason" text NOT NULL,
	"row_json" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "scopes" text[] DEFAULT '{"decide"}' NOT NULL;--> statement-breakpoint
CREATE INDEX "decision_log_dead_letter_failed_at_idx" ON "decision_log_dead_letter" USING btree ("failed_at");