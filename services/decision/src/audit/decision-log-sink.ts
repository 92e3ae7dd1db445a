// Writes decision log rows to the `decision_log` table. Keyed by decision_id with ON CONFLICT
// DO NOTHING, so re-sending a batch whose commit was not acknowledged is harmless.
//
// The rows travel as ONE jsonb parameter expanded by jsonb_to_recordset: Drizzle's multi-row
// VALUES costs a bound parameter per column per row, and building and binding those took as long
// as the insert itself (on PGlite half the per-row cost; see bench:decision). The stored values are
// the same: the timestamp as its ISO string (what Drizzle sends), jsonb from the same JSON text.
// Rows the database refuses go to `decision_log_dead_letter` as JSON text (always storable).
import type { Database } from "@pp/shared/db/database.ts";
import { decisionLogDeadLetter, type NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { sql } from "drizzle-orm";
import type { AuditSink } from "./audit-log.ts";

/** Rows per INSERT statement (several statements share one transaction). */
const ROWS_PER_INSERT = 1000;

/** One row as jsonb_to_recordset reads it (column names as in the table). */
function recordOf(row: NewDecisionLogRow) {
  return {
    decision_id: row.decisionId,
    // Absent: the column default (now()) applies, as with Drizzle.
    decided_at: row.decidedAt ? row.decidedAt.toISOString() : null,
    customer_id: row.customerId,
    inputs: row.inputs,
    chosen_action: row.chosenAction,
    scores: row.scores,
    policy_name: row.policyName,
    policy_version: row.policyVersion,
    model_name: row.modelName,
    model_version: row.modelVersion,
    campaign_id: row.campaignId ?? null,
    assignment_group: row.assignmentGroup ?? null,
    would_have_action: row.wouldHaveAction ?? null,
  };
}

function insertStatement(rows: readonly NewDecisionLogRow[]) {
  const json = JSON.stringify(rows.map(recordOf));
  return sql`insert into decision_log (decision_id, decided_at, customer_id, inputs, chosen_action,
      scores, policy_name, policy_version, model_name, model_version, campaign_id,
      assignment_group, would_have_action)
    select decision_id, coalesce(decided_at, now()), customer_id, inputs, chosen_action,
      scores, policy_name, policy_version, model_name, model_version, campaign_id,
      assignment_group, would_have_action
    from jsonb_to_recordset(${json}::jsonb) as r(decision_id uuid, decided_at timestamptz,
      customer_id text, inputs jsonb, chosen_action text, scores jsonb, policy_name text,
      policy_version integer, model_name text, model_version integer, campaign_id text,
      assignment_group text, would_have_action text)
    on conflict do nothing`;
}

export function decisionLogSink(database: () => Promise<Database>): AuditSink {
  return {
    async write(rows) {
      const db = await database();
      if (rows.length <= ROWS_PER_INSERT) {
        await db.execute(insertStatement(rows));
        return;
      }
      await db.transaction(async (tx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
          await tx.execute(insertStatement(rows.slice(i, i + ROWS_PER_INSERT)));
        }
      });
    },
    async deadLetter(entries) {
      if (entries.length === 0) return;
      const db = await database();
      await db.insert(decisionLogDeadLetter).values(
        entries.map(({ row, reason }) => ({
          decisionId: row.decisionId,
          reason,
          // JSON.stringify escapes NUL and lone surrogates, so this text is always storable.
          rowJson: JSON.stringify(recordOf(row)),
        })),
      );
    },
    async probe() {
      await (await database()).execute(sql`select 1`);
    },
  };
}
