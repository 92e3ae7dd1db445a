-- A rollback marks the version it took out of production, so a later rollback does not return to
-- it (promote v1, v2, roll back, promote v3, roll back: v1, not v2). Promoting it clears the mark.
ALTER TABLE "model_versions" ADD COLUMN "rolled_back_at" timestamp with time zone;
