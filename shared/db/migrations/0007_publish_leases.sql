-- One publisher to the forecast Workers at a time per model: a lease row, renewed while it works
-- and taken over once expired (shared/registry/publish-leases.ts).
CREATE TABLE "publish_leases" (
	"model_name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
