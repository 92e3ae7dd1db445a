// One page of GET /campaigns: the campaigns after a cursor in campaign id order (any campaign
// logged or measured), with the decisions logged per group and the latest result of each. Only
// the campaigns shown are read: the page once read every campaign's counts (grouping the whole
// decision log) and the 200 most recently reported results, so with more than 200 measured
// campaigns the rest were listed as "not measured" or left out.
import {
  latestResultsOf,
  measuredCampaignIdsAfter,
} from "@pp/shared/campaigns/campaign-results-store.ts";
import { type Database, queryRows } from "@pp/shared/db/database.ts";
import type { CampaignResultRow } from "@pp/shared/db/schema.ts";
import {
  campaignGroupCounts,
  loggedCampaignIdsAfter,
} from "@pp/shared/registry/decision-log-reads.ts";
import { sql } from "drizzle-orm";

interface CampaignListRow {
  campaign: string;
  treated: number;
  control: number;
  /** The latest report run, if the campaign was measured. */
  result: CampaignResultRow | undefined;
}

export interface CampaignListPage {
  rows: CampaignListRow[];
  /** The cursor of the next page (the last campaign shown), or null: this page is the last. */
  nextAfter: string | null;
}

/**
 * The first `limit` campaign ids after `after`, logged or measured, in id order. The union is
 * ordered by the database, in the same collation as the `>` that starts the next page (sorting
 * in JavaScript could disagree with it, and skip or repeat campaigns between pages).
 */
async function campaignIdsAfter(
  db: Database,
  after: string | undefined,
  limit: number,
): Promise<string[]> {
  const rows = await queryRows<{ campaign_id: string }>(
    db,
    sql`select campaign_id from (${loggedCampaignIdsAfter(after, limit)}
      union ${measuredCampaignIdsAfter(after, limit)}) page order by campaign_id limit ${limit}`,
  );
  return rows.map((r) => r.campaign_id);
}

export async function readCampaignListPage(
  db: Database,
  after: string | undefined,
  limit: number,
): Promise<CampaignListPage> {
  const ids = await campaignIdsAfter(db, after, limit + 1); // one more: is there a next page?
  const shown = ids.slice(0, limit);
  const [results, counts] = await Promise.all([
    latestResultsOf(db, shown),
    campaignGroupCounts(db, shown),
  ]);
  const resultOf = new Map(results.map((r) => [r.campaignId, r]));
  const logged = new Map(counts.map((c) => [`${c.group}\u0000${c.campaign}`, c.decisions]));
  const decisions = (group: string, campaign: string) =>
    logged.get(`${group}\u0000${campaign}`) ?? 0;
  return {
    rows: shown.map((campaign) => ({
      campaign,
      treated: decisions("treated", campaign),
      control: decisions("control", campaign),
      result: resultOf.get(campaign),
    })),
    nextAfter: ids.length > limit ? (shown.at(-1) ?? null) : null,
  };
}
