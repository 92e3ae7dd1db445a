CREATE TABLE "forecast_tracking" (
	"id" serial PRIMARY KEY NOT NULL,
	"model_version_id" integer NOT NULL,
	"forecaster" text NOT NULL,
	"window_start" date NOT NULL,
	"window_end" date NOT NULL,
	"horizon" double precision NOT NULL,
	"time_unit" text NOT NULL,
	"customers" integer NOT NULL,
	"metrics" jsonb NOT NULL,
	"segments" jsonb NOT NULL,
	"calibration" jsonb NOT NULL,
	"tracked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "forecast_tracking_version_forecaster_window_unique" UNIQUE("model_version_id","forecaster","window_end")
);
--> statement-breakpoint
ALTER TABLE "forecast_tracking" ADD CONSTRAINT "forecast_tracking_model_version_id_model_versions_id_fk" FOREIGN KEY ("model_version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "forecast_tracking_tracked_at_idx" ON "forecast_tracking" USING btree ("tracked_at");