-- An API key may expire (rotation sets it on the key it replaces); null, as on every older key: never.
ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamp with time zone;