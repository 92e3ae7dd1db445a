// `campaign_incremental_profit{campaign, action, bound}` gauges on /metrics: the latest measured
// result of each campaign (campaign_results, written by `ml campaign report`), per action the total
// incremental profit estimate and its 95% bounds, and action="all" for the campaign's sum. A scrape
// never waits for the database: it shows the last read, and starts a new read when that is older
// than `maxAgeMs` (so the figures lag a report by at most one scrape interval). Only campaigns
// reported within `maxReportAgeDays` (default 30), at most `maxCampaigns` (default 50) of them,
// the most recently reported: a finished campaign's series end, and their number stays bounded
// (every stored campaign was exported for good, up to 200).
import type { ActionResult, CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { latestCampaignResults } from "@pp/shared/campaigns/campaign-results-store.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { DatabaseProvider } from "../store/lazy-database.ts";

export interface CampaignMetrics {
  /** Reads the latest results now (the campaign page and tests call it). */
  refresh(): Promise<void>;
}

type Series = Array<{ campaign: string; action: string; bound: string; value: number }>;

function seriesOf(results: readonly CampaignResult[]): Series {
  const out: Series = [];
  // Only measured figures: a NaN has no series, and a 0 for a campaign nothing could be measured
  // in would read as a measured break-even.
  const add = (campaign: string, action: string, bound: string, value: unknown) => {
    if (typeof value === "number" && Number.isFinite(value)) {
      out.push({ campaign, action, bound, value });
    }
  };
  for (const r of results) {
    for (const a of r.actions as ActionResult[]) {
      const t = a.incremental_profit_total;
      add(r.campaign, a.action, "estimate", t.estimate);
      add(r.campaign, a.action, "lower", t.lower);
      add(r.campaign, a.action, "upper", t.upper);
    }
    add(r.campaign, "all", "estimate", r.incremental_profit);
  }
  return out;
}

export function campaignMetrics(
  registry: MetricsRegistry,
  database: DatabaseProvider,
  options: {
    logger?: Logger;
    maxAgeMs?: number;
    now?: () => number;
    maxReportAgeDays?: number;
    maxCampaigns?: number;
  } = {},
): CampaignMetrics {
  const gauge = registry.gauge({
    name: "campaign_incremental_profit",
    help: "Measured incremental profit of a campaign's action (total over its treated customers; bound estimate/lower/upper of the 95% interval).",
    labelNames: ["campaign", "action", "bound"],
  });
  const maxAgeMs = options.maxAgeMs ?? 15_000;
  const now = options.now ?? (() => Date.now());
  const maxReportAgeMs = (options.maxReportAgeDays ?? 30) * 86_400_000;
  const maxCampaigns = options.maxCampaigns ?? 50;
  let series: Series = [];
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | null = null;

  const refresh = (): Promise<void> => {
    if (!reading) {
      reading = (async () => {
        try {
          const since = new Date(now() - maxReportAgeMs);
          const rows = await latestCampaignResults(await database(), maxCampaigns, since);
          series = seriesOf(rows.map((r) => r.result as unknown as CampaignResult));
        } catch (err) {
          options.logger?.debug("campaign metrics not refreshed", { error: String(err) });
        } finally {
          readAt = now();
          reading = null;
        }
      })();
    }
    return reading;
  };

  registry.onCollect(() => {
    if (now() - readAt > maxAgeMs) void refresh();
    gauge.reset();
    for (const s of series)
      gauge.set({ campaign: s.campaign, action: s.action, bound: s.bound }, s.value);
  });
  return { refresh };
}
