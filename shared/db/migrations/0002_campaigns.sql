CREATE TABLE "campaign_results" (
	"id" serial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"window_end" date NOT NULL,
	"treated" integer NOT NULL,
	"control" integer NOT NULL,
	"incremental_profit" double precision NOT NULL,
	"result" jsonb NOT NULL,
	"reported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_results_campaign_window_unique" UNIQUE("campaign_id","window_end")
);
--> statement-breakpoint
ALTER TABLE "decision_log" ADD COLUMN "campaign_id" text;--> statement-breakpoint
ALTER TABLE "decision_log" ADD COLUMN "assignment_group" text;--> statement-breakpoint
ALTER TABLE "decision_log" ADD COLUMN "would_have_action" text;--> statement-breakpoint
CREATE INDEX "campaign_results_reported_at_idx" ON "campaign_results" USING btree ("reported_at");--> statement-breakpoint
CREATE INDEX "decision_log_campaign_idx" ON "decision_log" USING btree ("campaign_id","assignment_group") WHERE "decision_log"."campaign_id" is not null;