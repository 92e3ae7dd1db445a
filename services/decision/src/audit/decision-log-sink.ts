// Writes decision log rows to the `decision_log` table. Keyed by decision_id with ON CONFLICT
// DO NOTHING, so re-sending a batch whose commit was not acknowledged is harmless.
import type { Database } from "@pp/shared/db/database.ts";
import { decisionLog, type NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { AuditSink } from "./audit-log.ts";

/** Rows per INSERT: 10 parameters each stays far below PostgreSQL's 65535. */
const ROWS_PER_INSERT = 1000;

export function decisionLogSink(database: () => Promise<Database>): AuditSink {
  return {
    async write(rows) {
      const db = await database();
      if (rows.length <= ROWS_PER_INSERT) {
        await db.insert(decisionLog).values(rows).onConflictDoNothing();
        return;
      }
      await db.transaction(async (tx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
          await tx
            .insert(decisionLog)
            .values(rows.slice(i, i + ROWS_PER_INSERT) as NewDecisionLogRow[])
            .onConflictDoNothing();
        }
      });
    },
  };
}
