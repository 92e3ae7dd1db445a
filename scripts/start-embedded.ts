// `npm start` on the embedded default: this process hosts the embedded database server of DATA_DIR
// (and of DECISION_DATA_DIR when that differs) for as long as the services run, so neither service
// owns it and the ml and keys CLIs can use it meanwhile. On a database without keys it creates the
// local development key (see services/decision/src/cli/dev-key.ts).
import { devKeyAllowed, ensureDevKey } from "@pp/decision/src/cli/dev-key.ts";
import {
  adoptLegacyDecisionStore,
  describeAdoption,
} from "@pp/decision/src/store/legacy-decision-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { dataDirFromEnv, decisionStoreDir } from "@pp/shared/db/decision-store-dir.ts";
import { sql } from "drizzle-orm";

type StoreVariable = "DATA_DIR" | "DECISION_DATA_DIR";

/** A store that could not be opened, with the variable that names its directory (for the message). */
export class StoreOpenError extends Error {
  constructor(
    readonly variable: StoreVariable,
    readonly dir: string,
    cause: unknown,
  ) {
    super(`could not open the embedded store at ${variable}=${dir}`, { cause });
  }
}

export interface EmbeddedStores {
  /** The key created now (print it once), or null. */
  devKey: string | null;
  close(): Promise<void>;
}

export async function openEmbeddedStores(
  env: Record<string, string | undefined>,
): Promise<EmbeddedStores | null> {
  if (env.DATABASE_URL?.trim()) return null;
  const store = decisionStoreDir(env);
  // One store when DECISION_DATA_DIR is DATA_DIR's however spelled ("/x/" for "/x").
  const dirs: Array<[StoreVariable, string]> = store.apart
    ? [
        ["DATA_DIR", dataDirFromEnv(env)],
        ["DECISION_DATA_DIR", store.dir],
      ]
    : [["DATA_DIR", store.dir]];
  const handles: DatabaseHandle[] = [];
  for (const [variable, dir] of dirs) {
    try {
      const handle = await createDatabase({ dataDir: dir, maxConnections: 1 });
      handles.push(handle);
      await handle.db.execute(sql`select 1`); // hosts the server now, or finds the running one
    } catch (cause) {
      for (const handle of handles) await handle.close().catch(() => {});
      throw new StoreOpenError(variable, dir, cause);
    }
  }
  const decision = handles.at(-1) as DatabaseHandle;
  // Before counting keys: an older version's decision database may hold them (see the module).
  const adopted = await adoptLegacyDecisionStore(decision.db, store.dir);
  if (adopted) console.error(describeAdoption(adopted));
  const devKey = devKeyAllowed(env) ? await ensureDevKey(decision.db) : null;
  return {
    devKey,
    async close() {
      for (const handle of handles) await handle.close().catch(() => {});
    },
  };
}
