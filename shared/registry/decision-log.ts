// The decision log: one row per decision the decision service made (inputs, chosen action, scores,
// and the policy and model versions behind it), appended in batches and read back per customer.

import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type DecisionLogRow, decisionLog, type NewDecisionLogRow } from "../db/schema.ts";

/** Rows per INSERT; each batch is one jsonb parameter expanded by jsonb_to_recordset. */
const INSERT_BATCH = 5000;

export interface DecisionQuery {
  /** Most rows to return (default 100, newest first). */
  limit?: number;
  /** Only decisions strictly before this time (for paging). */
  before?: Date;
}

export class DecisionLogRepository {
  constructor(private readonly db: Database) {}

  /** Appends decisions atomically (all or none); returns how many were written. */
  async insertMany(rows: NewDecisionLogRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (rows.length <= INSERT_BATCH) {
      await insertBatch(this.db, rows);
      return rows.length;
    }
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        await insertBatch(tx, rows.slice(i, i + INSERT_BATCH));
      }
    });
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

async function insertBatch(db: Database, rows: NewDecisionLogRow[]): Promise<void> {
  const json = JSON.stringify(
    rows.map((r) => ({
      decision_id: r.decisionId,
      decided_at: (r.decidedAt ?? new Date()).toISOString(),
      customer_id: r.customerId,
      inputs: r.inputs,
      chosen_action: r.chosenAction,
      scores: r.scores,
      policy_name: r.policyName,
      policy_version: r.policyVersion,
      model_name: r.modelName,
      model_version: r.modelVersion,
      campaign_id: r.campaignId ?? null,
      assignment_group: r.assignmentGroup ?? null,
      would_have_action: r.wouldHaveAction ?? null,
    })),
  );
  await db.execute(sql`
    insert into ${decisionLog} (decision_id, decided_at, customer_id, inputs, chosen_action, scores,
      policy_name, policy_version, model_name, model_version, campaign_id, assignment_group,
      would_have_action)
    select r.decision_id, r.decided_at, r.customer_id, r.inputs, r.chosen_action, r.scores,
      r.policy_name, r.policy_version, r.model_name, r.model_version, r.campaign_id,
      r.assignment_group, r.would_have_action
    from jsonb_to_recordset(${json}::jsonb) as r(decision_id uuid, decided_at timestamptz,
      customer_id text, inputs jsonb, chosen_action text, scores jsonb, policy_name text,
      policy_version integer, model_name text, model_version integer, campaign_id text,
      assignment_group text, would_have_action text)`);
}
