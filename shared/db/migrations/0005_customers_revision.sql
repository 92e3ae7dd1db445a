-- Erasing a customer's stored rows (`ml forget`) bumps customers_revision of every version that
-- held them; a bump of a production version notifies pp_model_production like a promotion, so
-- services on PostgreSQL reload it at once (others at their next poll: the key includes it).
ALTER TABLE "model_versions" ADD COLUMN "customers_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
DROP TRIGGER "model_versions_production_notify" ON "model_versions";--> statement-breakpoint
CREATE TRIGGER "model_versions_production_notify"
	AFTER INSERT OR UPDATE OF "stage", "customers_revision" ON "model_versions"
	FOR EACH ROW EXECUTE FUNCTION "pp_notify_model_production"();
