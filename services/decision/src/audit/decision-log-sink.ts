// The decision service's audit sink on the `decision_log` table, through the table's owner module
// (shared/registry/decision-log.ts): idempotent batched appends, refused rows to the dead letter.
import type { Database } from "@pp/shared/db/database.ts";
import { DatabaseClock } from "@pp/shared/registry/database-clock.ts";
import { appendDecisionsReporting, writeDeadLetters } from "@pp/shared/registry/decision-log.ts";
import { sql } from "drizzle-orm";
import type { AuditSink } from "./audit-log.ts";

export function decisionLogSink(database: () => Promise<Database>): AuditSink {
  // One reading of the clocks for the sink's life: on Workers each request has a database handle
  // of its own, and a reading per handle would cost every decision a round trip.
  const clock = new DatabaseClock();
  return {
    async write(rows, amend) {
      const db = await database();
      // Skipped ids in lower case, as erasedOf compares, here once: both decision logs (and the
      // amends they pass) take them as given.
      const lower = (ids: readonly string[]) => ids.map((id) => id.toLowerCase());
      const amendLower = amend && ((ids: readonly string[]) => amend(lower(ids)));
      const outcome = await appendDecisionsReporting(db, rows, clock, amendLower);
      return { ...outcome, erased: lower(outcome.erased) };
    },
    async deadLetter(entries) {
      if (entries.length === 0) return;
      const db = await database();
      await writeDeadLetters(db, entries, clock);
    },
    async probe() {
      await (await database()).execute(sql`select 1`);
    },
  };
}
