// The decision service's audit sink on the `decision_log` table, through the table's owner module
// (shared/registry/decision-log.ts): idempotent batched appends, refused rows to the dead letter.
import type { Database } from "@pp/shared/db/database.ts";
import { appendDecisions, writeDeadLetters } from "@pp/shared/registry/decision-log.ts";
import { sql } from "drizzle-orm";
import type { AuditSink } from "./audit-log.ts";

export function decisionLogSink(database: () => Promise<Database>): AuditSink {
  return {
    async write(rows) {
      await appendDecisions(await database(), rows);
    },
    async deadLetter(entries) {
      if (entries.length === 0) return;
      await writeDeadLetters(await database(), entries);
    },
    async probe() {
      await (await database()).execute(sql`select 1`);
    },
  };
}
