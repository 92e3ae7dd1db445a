// The `campaign_results` table (its one owner): `ml campaign report` saves a measured campaign per
// window end (re-reporting a window replaces it); the decision service's campaign page and metrics
// read the latest result of each campaign. Runtime-neutral (Drizzle on the caller's driver).
import { desc, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type CampaignResultRow, campaignResults } from "../db/schema.ts";
import type { CampaignResult } from "./campaign-result.ts";

/** JSON has no NaN or ±Infinity: store them as null. */
function jsonSafe(result: CampaignResult): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(result, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)),
  ) as Record<string, unknown>;
}

export async function saveCampaignResult(
  db: Database,
  result: CampaignResult,
  reportedAt: Date = new Date(),
): Promise<CampaignResultRow> {
  const values = {
    campaignId: result.campaign,
    windowEnd: result.window.end,
    treated: result.groups.treated,
    control: result.groups.control,
    // Null when no action could be measured (a 0 read as a measured break-even).
    incrementalProfit:
      result.incremental_profit !== null && Number.isFinite(result.incremental_profit)
        ? result.incremental_profit
        : null,
    result: jsonSafe(result),
    reportedAt,
  };
  const [row] = await db
    .insert(campaignResults)
    .values(values)
    .onConflictDoUpdate({
      target: [campaignResults.campaignId, campaignResults.windowEnd],
      set: {
        treated: values.treated,
        control: values.control,
        incrementalProfit: values.incrementalProfit,
        result: values.result,
        reportedAt,
      },
    })
    .returning();
  return row as CampaignResultRow;
}

/**
 * The latest result of one campaign: the latest report run (a window re-reported replaces its
 * row), or null. By window end first, learn and the page used an older report of a later window
 * one second after a report of an earlier one had measured otherwise.
 */
export async function latestCampaignResult(
  db: Database,
  campaignId: string,
): Promise<CampaignResultRow | null> {
  const [row] = await db
    .select()
    .from(campaignResults)
    .where(eq(campaignResults.campaignId, campaignId))
    .orderBy(desc(campaignResults.reportedAt), desc(campaignResults.windowEnd))
    .limit(1);
  return row ?? null;
}

/** The window ends of a campaign's stored results, latest report run first. */
export async function campaignResultWindows(db: Database, campaignId: string): Promise<string[]> {
  const rows = await db
    .select({ windowEnd: campaignResults.windowEnd })
    .from(campaignResults)
    .where(eq(campaignResults.campaignId, campaignId))
    .orderBy(desc(campaignResults.reportedAt), desc(campaignResults.windowEnd));
  return rows.map((r) => r.windowEnd);
}

/**
 * The latest report run of the `limit` most recently reported campaigns, most recently reported
 * first; with `since`, only campaigns reported after it. The limit applies after each campaign's
 * latest run is found: on DISTINCT ON's order (by campaign id) it kept the alphabetically first,
 * and a campaign reported today was left out.
 */
export async function latestCampaignResults(
  db: Database,
  limit = 200,
  since?: Date,
): Promise<CampaignResultRow[]> {
  const latest = db
    .selectDistinctOn([campaignResults.campaignId])
    .from(campaignResults)
    // A campaign's latest run is after `since` exactly when any of its runs is.
    .where(since ? gt(campaignResults.reportedAt, since) : undefined)
    .orderBy(
      campaignResults.campaignId,
      desc(campaignResults.reportedAt),
      desc(campaignResults.windowEnd),
    )
    .as("latest");
  return db.select().from(latest).orderBy(desc(latest.reportedAt), latest.campaignId).limit(limit);
}

/**
 * A subquery (for a union) of the first `limit` measured campaign ids after `after` (from the
 * first when undefined), in id order, on the (campaign_id, window_end) unique index.
 */
export function measuredCampaignIdsAfter(after: string | undefined, limit: number): SQL {
  const from = after === undefined ? sql`` : sql`where campaign_id > ${after}`;
  return sql`(select distinct campaign_id from ${campaignResults} ${from}
    order by campaign_id limit ${limit})`;
}

/** The latest report run of each of `campaigns` that has one (any order). */
export async function latestResultsOf(
  db: Database,
  campaigns: readonly string[],
): Promise<CampaignResultRow[]> {
  if (campaigns.length === 0) return [];
  return db
    .selectDistinctOn([campaignResults.campaignId])
    .from(campaignResults)
    .where(inArray(campaignResults.campaignId, [...campaigns]))
    .orderBy(
      campaignResults.campaignId,
      desc(campaignResults.reportedAt),
      desc(campaignResults.windowEnd),
    );
}
