-- An erasure of decisions only (the admin route) marks the customer for the decision log's writers, not for registrations: only `ml forget` (forgotten) leaves them out of the next model version. Existing markers may be either: kept as forgotten.
ALTER TABLE "customer_erasures" ADD COLUMN "forgotten" boolean DEFAULT true NOT NULL;
