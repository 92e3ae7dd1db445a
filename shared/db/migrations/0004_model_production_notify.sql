-- A change of a model's production version (registration with --promote, promote, rollback, or a
-- hand-written UPDATE) notifies channel "pp_model_production" with the model's name, delivered at
-- commit; forecast services on PostgreSQL LISTEN to swap at once instead of at their next poll.
-- A name too long for a notification payload (8000 bytes) sends an empty payload: "some model".
CREATE FUNCTION "pp_notify_model_production"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	model_name text;
BEGIN
	IF NEW.stage = 'production' OR (TG_OP = 'UPDATE' AND OLD.stage = 'production') THEN
		SELECT name INTO model_name FROM models WHERE id = NEW.model_id;
		PERFORM pg_notify(
			'pp_model_production',
			CASE WHEN octet_length(model_name) < 7900 THEN model_name ELSE '' END
		);
	END IF;
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "model_versions_production_notify"
	AFTER INSERT OR UPDATE OF "stage" ON "model_versions"
	FOR EACH ROW EXECUTE FUNCTION "pp_notify_model_production"();
