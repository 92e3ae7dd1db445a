// Readiness of the decision database: a real query against the decision log table, so /ready
// fails when PostgreSQL is down, unreachable through Hyperdrive, or not migrated yet (the case
// rule's table too).
import { outwardDriverMessage } from "@pp/shared/errors/driver-message.ts";
import type { ReadinessCheck } from "@pp/shared/http/readiness.ts";
import { probeDecisionStoreSettings } from "@pp/shared/registry/decision-id-case.ts";
import { probeDecisionLog } from "@pp/shared/registry/decision-log-reads.ts";
import type { DatabaseProvider } from "./lazy-database.ts";

export function databaseReadinessCheck(database: DatabaseProvider): ReadinessCheck {
  return {
    name: "decision_log", // as decisionLogCheck names it on Bun, Node and Deno: one alert for all
    async check() {
      try {
        const db = await database();
        await probeDecisionLog(db);
        // The case rule's table (migration 0016): without it every customer lookup and erasure
        // fails (a Worker never migrates; its reason names the migration and the command).
        await probeDecisionStoreSettings(db);
        return { ok: true };
      } catch (err) {
        // The driver's message, never the query: /ready is open to anyone.
        const why = outwardDriverMessage(err);
        const hint = /does not exist/.test(why) ? " (run `npm run db:migrate` against it)" : "";
        return { ok: false, reason: `decision database: ${why}${hint}` };
      }
    },
  };
}
