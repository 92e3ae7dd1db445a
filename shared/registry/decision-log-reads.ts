// Reads of the `decision_log` table beside its writer (decision-log.ts, the table's owner module):
// a campaign's decisions for `ml campaign report`, the decisions per campaign and group for the
// campaign page, and the readiness probe of the decision database.

import { and, asc, eq, isNotNull, sql } from "drizzle-orm";
import { type Database, queryRows } from "../db/database.ts";
import { decisionLog } from "../db/schema.ts";

/** One logged decision of a campaign, with the columns a campaign measurement reads. */
export interface CampaignDecisionRow {
  customerId: string;
  decidedAt: Date;
  /** "treated" or "control". */
  group: string | null;
  /** The action the policy chose (also for the control group, who did not receive it). */
  wouldHave: string | null;
  scores: Record<string, unknown>;
  /** The request's terms (its `horizon` among them). */
  inputs: Record<string, unknown>;
  /** The policy version that decided (its profit model sets the uplift's units). */
  policyName: string;
  policyVersion: number;
}

/** Every decision of `campaign` with an assignment group, oldest first (ties by decision id). */
export function readCampaignDecisionRows(
  db: Database,
  campaign: string,
): Promise<CampaignDecisionRow[]> {
  return db
    .select({
      customerId: decisionLog.customerId,
      decidedAt: decisionLog.decidedAt,
      group: decisionLog.assignmentGroup,
      wouldHave: decisionLog.wouldHaveAction,
      scores: decisionLog.scores,
      inputs: decisionLog.inputs,
      policyName: decisionLog.policyName,
      policyVersion: decisionLog.policyVersion,
    })
    .from(decisionLog)
    .where(and(eq(decisionLog.campaignId, campaign), isNotNull(decisionLog.assignmentGroup)))
    .orderBy(asc(decisionLog.decidedAt), asc(decisionLog.decisionId));
}

/** Decisions logged per campaign and group (what the campaign page lists before any report). */
export async function campaignGroupCounts(
  db: Database,
): Promise<Array<{ campaign: string; group: string; decisions: number }>> {
  return queryRows(
    db,
    sql`select campaign_id as campaign, assignment_group as "group", count(*)::int as decisions
      from ${decisionLog} where campaign_id is not null
      group by campaign_id, assignment_group order by campaign_id, assignment_group`,
  );
}

/** A real query against the table: throws when the database is down or not migrated yet. */
export async function probeDecisionLog(db: Database): Promise<void> {
  await db.execute(sql`select 1 from ${decisionLog} limit 1`);
}
