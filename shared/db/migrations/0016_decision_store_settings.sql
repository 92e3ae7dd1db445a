-- What a decision store has learnt about the ids it decides for (shared/registry/decision-id-case.ts):
-- "ids_lower_cased" once the forecast service answered from a model trained with --ignore-id-case,
-- so lookups and erasures take every letter case in a store kept apart from the registry.
CREATE TABLE "decision_store_settings" (
	"name" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
