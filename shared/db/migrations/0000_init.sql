CREATE TYPE "public"."model_stage" AS ENUM('staging', 'production', 'archived');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "customer_features" (
	"model_version_id" integer NOT NULL,
	"customer_id" text NOT NULL,
	"summary" jsonb NOT NULL,
	"features" double precision[] NOT NULL,
	CONSTRAINT "customer_features_pk" PRIMARY KEY("model_version_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "decision_log" (
	"decision_id" uuid PRIMARY KEY NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	"customer_id" text NOT NULL,
	"inputs" jsonb NOT NULL,
	"chosen_action" text NOT NULL,
	"scores" jsonb NOT NULL,
	"policy_name" text NOT NULL,
	"policy_version" integer NOT NULL,
	"model_name" text NOT NULL,
	"model_version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" serial PRIMARY KEY NOT NULL,
	"model_id" integer NOT NULL,
	"version" integer NOT NULL,
	"stage" "model_stage" DEFAULT 'staging' NOT NULL,
	"artifact_uri" text NOT NULL,
	"artifact_sha256" text NOT NULL,
	"artifacts" jsonb NOT NULL,
	"time_unit" text NOT NULL,
	"calibration_end" date NOT NULL,
	"holdout_end" date,
	"data_window" jsonb NOT NULL,
	"params" jsonb NOT NULL,
	"metrics" jsonb NOT NULL,
	"trained_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"promoted_at" timestamp with time zone,
	CONSTRAINT "model_versions_model_version_unique" UNIQUE("model_id","version")
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "models_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	CONSTRAINT "policies_name_version_unique" UNIQUE("name","version")
);
--> statement-breakpoint
ALTER TABLE "customer_features" ADD CONSTRAINT "customer_features_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_unique" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "decision_log_customer_idx" ON "decision_log" USING btree ("customer_id","decided_at");--> statement-breakpoint
CREATE INDEX "decision_log_decided_at_idx" ON "decision_log" USING btree ("decided_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_production" ON "model_versions" USING btree ("model_id") WHERE "model_versions"."stage" = 'production';--> statement-breakpoint
CREATE INDEX "model_versions_model_stage_idx" ON "model_versions" USING btree ("model_id","stage");--> statement-breakpoint
CREATE UNIQUE INDEX "policies_one_active" ON "policies" USING btree ("active") WHERE "policies"."active";