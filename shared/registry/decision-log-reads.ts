// Reads of the `decision_log` table beside its writer (decision-log.ts, the table's owner module):
// a campaign's decisions for `ml campaign report`, the campaigns logged and the decisions per
// campaign and group for the campaign pages, and the readiness probe of the decision database.

import { and, asc, eq, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
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
  /** Drawn by the campaign's exploration share (null: logged without exploration). */
  explored: boolean | null;
  /** Probability of the logged action under the policy with exploration (null: none logged). */
  propensity: number | null;
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
      explored: decisionLog.explored,
      propensity: decisionLog.propensity,
    })
    .from(decisionLog)
    .where(and(eq(decisionLog.campaignId, campaign), isNotNull(decisionLog.assignmentGroup)))
    .orderBy(asc(decisionLog.decidedAt), asc(decisionLog.decisionId));
}

/**
 * A subquery (for a union) of the first `limit` campaign ids in the log after `after` (from the
 * first when undefined), in id order. A loose index scan on decision_log_campaign_idx: one probe
 * per campaign found, however many decisions each has (a DISTINCT read every row of each).
 */
export function loggedCampaignIdsAfter(after: string | undefined, limit: number): SQL {
  const first = after === undefined ? sql`` : sql`and campaign_id > ${after}`;
  return sql`(with recursive ids(campaign_id) as (
      (select campaign_id from ${decisionLog} where campaign_id is not null ${first}
        order by campaign_id limit 1)
      union all
      select (select d.campaign_id from ${decisionLog} d
        where d.campaign_id is not null and d.campaign_id > ids.campaign_id
        order by d.campaign_id limit 1)
      from ids where ids.campaign_id is not null)
    select campaign_id from ids where campaign_id is not null limit ${limit})`;
}

/**
 * Decisions logged per campaign and group of `campaigns` only (what a campaign page lists before
 * any report): counted on decision_log_campaign_idx. It grouped the whole log on every page view.
 */
export async function campaignGroupCounts(
  db: Database,
  campaigns: readonly string[],
): Promise<Array<{ campaign: string; group: string; decisions: number }>> {
  if (campaigns.length === 0) return [];
  return queryRows(
    db,
    sql`select campaign_id as campaign, assignment_group as "group", count(*)::int as decisions
      from ${decisionLog} where ${inArray(decisionLog.campaignId, [...campaigns])}
      group by campaign_id, assignment_group order by campaign_id, assignment_group`,
  );
}

/** A real query against the table: throws when the database is down or not migrated yet. */
export async function probeDecisionLog(db: Database): Promise<void> {
  await db.execute(sql`select 1 from ${decisionLog} limit 1`);
}
