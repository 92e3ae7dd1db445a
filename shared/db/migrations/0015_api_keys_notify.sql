-- A change to api_keys (a key created, revoked, rotated or expired by hand, from any process: the
-- admin API, `npm run keys`, SQL) notifies channel "pp_api_keys" at commit; decision services on
-- PostgreSQL LISTEN and re-read their keys at once, so a revoked key stops working on every
-- process within moments instead of at each one's 30 s refresh.
CREATE FUNCTION "pp_notify_api_keys"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pp_api_keys', '');
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "api_keys_notify"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "api_keys"
	FOR EACH STATEMENT EXECUTE FUNCTION "pp_notify_api_keys"();
