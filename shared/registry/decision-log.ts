// The `decision_log` table (its one owner): one row per decision the decision service made (inputs,
// chosen action, scores, the policy and model versions behind it). The decision service's audit
// sink appends through `appendDecisions` (and parks refused rows with `writeDeadLetters`), as do
// campaign simulations and the registry bench; reads per customer and by id.
//
// The rows travel as ONE jsonb parameter expanded by jsonb_to_recordset: Drizzle's multi-row
// VALUES costs a bound parameter per column per row, and building and binding those took as long
// as the insert itself (on PGlite half the per-row cost; see bench:decision). Keyed by decision_id
// with ON CONFLICT DO NOTHING, so re-sending a batch whose commit was not acknowledged is harmless.

import { and, desc, eq, getTableName, lt } from "drizzle-orm";
import type { Database, Transaction } from "../db/database.ts";
import {
  type DecisionLogRow,
  decisionLog,
  decisionLogDeadLetter,
  type NewDecisionLogRow,
} from "../db/schema.ts";

/** Rows per INSERT statement (several statements share one transaction). */
const ROWS_PER_INSERT = 1000;

export interface DecisionQuery {
  /** Most rows to return (default 100, newest first). */
  limit?: number;
  /** Only decisions strictly before this time (for paging). */
  before?: Date;
}

export class DecisionLogRepository {
  constructor(private readonly db: Database) {}

  /** Appends decisions atomically (all or none; ids already stored are skipped); returns rows sent. */
  async insertMany(rows: NewDecisionLogRow[]): Promise<number> {
    await appendDecisions(this.db, rows);
    return rows.length;
  }

  /** Decisions about one customer, newest first. */
  findByCustomer(customerId: string, query: DecisionQuery = {}): Promise<DecisionLogRow[]> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 10_000);
    return this.db
      .select()
      .from(decisionLog)
      .where(
        and(
          eq(decisionLog.customerId, customerId),
          query.before ? lt(decisionLog.decidedAt, query.before) : undefined,
        ),
      )
      .orderBy(desc(decisionLog.decidedAt))
      .limit(limit);
  }

  /** One decision by id, or null. */
  async get(decisionId: string): Promise<DecisionLogRow | null> {
    const [row] = await this.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.decisionId, decisionId));
    return row ?? null;
  }
}

/** One row as jsonb_to_recordset reads it (column names as in the table). */
export function decisionLogRecord(row: NewDecisionLogRow) {
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

/**
 * The insert, as ONE fixed text with ONE parameter, run as a named prepared statement: each
 * connection parses and plans it once and then only executes it (planning it cost more than
 * running it, on PGlite 1.6-3.7 ms per commit). Drizzle's `execute` never prepares, so it goes
 * through the session's prepareQuery with a name (postgres.js then prepares it per connection).
 */
const APPEND_SQL = `insert into "${getTableName(decisionLog)}" (decision_id, decided_at, customer_id,
      inputs, chosen_action, scores, policy_name, policy_version, model_name, model_version,
      campaign_id, assignment_group, would_have_action)
    select decision_id, coalesce(decided_at, now()), customer_id, inputs, chosen_action,
      scores, policy_name, policy_version, model_name, model_version, campaign_id,
      assignment_group, would_have_action
    from jsonb_to_recordset($1::jsonb) as r(decision_id uuid, decided_at timestamptz,
      customer_id text, inputs jsonb, chosen_action text, scores jsonb, policy_name text,
      policy_version integer, model_name text, model_version integer, campaign_id text,
      assignment_group text, would_have_action text)
    on conflict do nothing`;

function insertRows(db: Database | Transaction, rows: readonly NewDecisionLogRow[]) {
  const json = JSON.stringify(rows.map(decisionLogRecord));
  return db._.session
    .prepareQuery({ sql: APPEND_SQL, params: [json] }, undefined, "decision_log_append", false)
    .execute();
}

/** Appends decisions all or none; a decision_id already stored is skipped (re-sends are harmless). */
export async function appendDecisions(
  db: Database,
  rows: readonly NewDecisionLogRow[],
): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length <= ROWS_PER_INSERT) {
    await insertRows(db, rows);
    return;
  }
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await insertRows(tx, rows.slice(i, i + ROWS_PER_INSERT));
    }
  });
}

/** Parks rows the table refused in `decision_log_dead_letter`, as JSON text (always storable). */
export async function writeDeadLetters(
  db: Database,
  entries: readonly { row: NewDecisionLogRow; reason: string }[],
): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(decisionLogDeadLetter).values(
    entries.map(({ row, reason }) => ({
      decisionId: row.decisionId,
      reason,
      // JSON.stringify escapes NUL and lone surrogates, so this text is always storable.
      rowJson: JSON.stringify(decisionLogRecord(row)),
    })),
  );
}
