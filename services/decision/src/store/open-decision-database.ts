// Opens and migrates the decision service's database (Node/Bun/Deno only): PostgreSQL when
// DATABASE_URL is set, else an embedded PGlite database in DECISION_DATA_DIR.
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import type { DecisionConfig } from "../config.ts";
import {
  type AdoptionReport,
  adoptLegacyDecisionStore,
  describeAdoption,
} from "./legacy-decision-store.ts";

export async function openDecisionDatabase(
  config: Pick<DecisionConfig, "DATABASE_URL" | "DECISION_DATA_DIR">,
  onAdopted: (report: AdoptionReport) => void = (r) => console.error(describeAdoption(r)),
): Promise<DatabaseHandle> {
  const handle = await createDatabase(
    config.DATABASE_URL
      ? { databaseUrl: config.DATABASE_URL, maxConnections: 5 }
      : { dataDir: config.DECISION_DATA_DIR },
  );
  try {
    await handle.migrate();
    // An older version's own decision database under this directory (its old default) joins it.
    if (!config.DATABASE_URL) {
      const adopted = await adoptLegacyDecisionStore(handle.db, config.DECISION_DATA_DIR);
      if (adopted) onAdopted(adopted);
    }
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
  return handle;
}
