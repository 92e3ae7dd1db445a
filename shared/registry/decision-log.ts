// The decision log: one row per decision the decision service made (inputs, chosen action, scores,
// and the policy and model versions behind it), appended in batches and read back per customer.

import { and, desc, eq, lt } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type DecisionLogRow, decisionLog, type NewDecisionLogRow } from "../db/schema.ts";

/** Rows per INSERT (10 parameters each stays far below PostgreSQL's 65535 limit). */
const INSERT_BATCH = 1000;

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
      await this.db.insert(decisionLog).values(rows);
      return rows.length;
    }
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        await tx.insert(decisionLog).values(rows.slice(i, i + INSERT_BATCH));
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
