// Readiness of the decision database: a real query against the decision log table, so /ready
// fails when PostgreSQL is down, unreachable through Hyperdrive, or not migrated yet.
import { errorChain } from "@pp/shared/errors/error-chain.ts";
import type { ReadinessCheck } from "@pp/shared/http/readiness.ts";
import { probeDecisionLog } from "@pp/shared/registry/decision-log-reads.ts";
import type { DatabaseProvider } from "./lazy-database.ts";

export function databaseReadinessCheck(database: DatabaseProvider): ReadinessCheck {
  return {
    name: "database",
    async check() {
      try {
        const db = await database();
        await probeDecisionLog(db);
        return { ok: true };
      } catch (err) {
        const why = driverMessage(err);
        const hint = /does not exist/.test(why) ? " (run `npm run db:migrate` against it)" : "";
        return { ok: false, reason: `decision database: ${why}${hint}` };
      }
    },
  };
}

/**
 * The driver's message, under drizzle's "Failed query: <sql> params: …" wrapper: /ready is open to
 * anyone and says what is wrong, never the query (the wrapper also hid the "does not exist" hint).
 */
function driverMessage(err: unknown): string {
  const chain = errorChain(err).filter((e): e is Error => e instanceof Error);
  const driver = chain.find((e) => !e.message.startsWith("Failed query:"));
  return driver?.message ?? (chain.length > 0 ? "query failed" : String(err));
}
