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
      const outcome = await appendDecisionsReporting(db, rows, clock, amend);
      // Lower case once here, as erasedOf compares: both decision logs take these ids as given.
      return { ...outcome, erased: outcome.erased.map((id) => id.toLowerCase()) };
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
