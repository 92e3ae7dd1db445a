ALTER TABLE "decision_log" ADD COLUMN "explored" boolean;--> statement-breakpoint
ALTER TABLE "decision_log" ADD COLUMN "propensity" double precision;