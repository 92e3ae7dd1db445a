-- Customers erased by `ml forget` (sha256 of the id, kept a day): the decision log's insert skips
-- rows about them decided before the erasure, which were still being made when it committed.
CREATE TABLE "customer_erasures" (
	"customer_sha256" text PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
