// Until 2026-11-30 the decision service kept its own embedded database in `<DATA_DIR>/decision`
// (DECISION_DATA_DIR's old default); since then it shares DATA_DIR's. This carries such a database's
// decisions, parked rows, API keys and policies into the shared store once, so an upgrade keeps them.
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import type { Database, Transaction } from "@pp/shared/db/database.ts";
import { copyDecisionLog } from "@pp/shared/registry/decision-log.ts";
import { copyPolicies } from "@pp/shared/registry/policy-store.ts";
import { copyApiKeys } from "../auth/api-key-store.ts";
import { withAdoptionLock } from "./adoption-lock.ts";

/** What one adoption carried over (rows new to the shared store) and where the old files went. */
export interface AdoptionReport {
  from: string;
  keptAt: string;
  decisions: number;
  deadLetters: number;
  apiKeys: number;
  policies: number;
}

type Counts = Omit<AdoptionReport, "from" | "keptAt">;

/** The old default's directory under `dataDir`, when it holds a database. */
export function legacyDecisionDir(dataDir: string): string | null {
  const dir = join(dataDir, "decision");
  return existsSync(join(dir, "pglite", "PG_VERSION")) ? dir : null;
}

/**
 * Adopts `<dataDir>/decision` into `shared` (the store of `dataDir`), then renames it to
 * `decision.adopted-<time>` so it is adopted once. Null when there is nothing to adopt.
 */
export async function adoptLegacyDecisionStore(
  shared: Database,
  dataDir: string,
): Promise<AdoptionReport | null> {
  if (!legacyDecisionDir(dataDir)) return null;
  return withAdoptionLock(dataDir, async () => {
    // Another process may have adopted it while this one waited for the lock.
    const from = legacyDecisionDir(dataDir);
    if (!from) return null;
    const legacy = await createDatabase({ dataDir: from, maxConnections: 1 });
    let counts: Counts;
    try {
      await legacy.migrate();
      counts = await shared.transaction((tx) => copyRows(legacy.db, tx));
    } finally {
      await legacy.close();
    }
    // After the commit: a crash before this rename adopts again, and finds every row there.
    const keptAt = `${from}.adopted-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(from, keptAt);
    return { from, keptAt, ...counts };
  });
}

async function copyRows(from: Database, to: Transaction): Promise<Counts> {
  const { decisions, deadLetters } = await copyDecisionLog(from, to);
  const apiKeys = await copyApiKeys(from, to);
  const policies = await copyPolicies(from, to);
  return { decisions, deadLetters, apiKeys, policies };
}

/** The one line a process prints when it adopted an old database. */
export function describeAdoption(r: AdoptionReport): string {
  return `adopted the decision database an older version kept in ${r.from} into the shared store: ${r.decisions} decisions, ${r.deadLetters} parked rows, ${r.apiKeys} API keys, ${r.policies} policy versions (the old files are kept in ${r.keptAt})`;
}
