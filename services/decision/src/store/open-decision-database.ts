// Opens and migrates the decision service's database (Node/Bun/Deno only): PostgreSQL when
// DATABASE_URL is set, else an embedded PGlite database in DECISION_DATA_DIR.
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import type { DecisionConfig } from "../config.ts";

export async function openDecisionDatabase(
  config: Pick<DecisionConfig, "DATABASE_URL" | "DECISION_DATA_DIR">,
): Promise<DatabaseHandle> {
  const handle = await createDatabase(
    config.DATABASE_URL
      ? { databaseUrl: config.DATABASE_URL, maxConnections: 5 }
      : { dataDir: config.DECISION_DATA_DIR },
  );
  try {
    await handle.migrate();
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
  return handle;
}
