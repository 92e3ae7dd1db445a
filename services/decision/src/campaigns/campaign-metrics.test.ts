// campaign_incremental_profit on /metrics: only campaigns reported within
// CAMPAIGN_METRICS_MAX_AGE_DAYS, at most CAMPAIGN_METRICS_MAX_CAMPAIGNS of them (the most recently
// reported). Every stored campaign was exported for good (up to 200, 3 series per action + 1
// each), a campaign finished months ago as if it were running.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ActionResult, CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { saveCampaignResult } from "@pp/shared/campaigns/campaign-results-store.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { parseConfig } from "../config.ts";
import { campaignMetrics } from "./campaign-metrics.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-12-06T12:00:00Z");
let testDb: TestDatabase;

function resultOf(campaign: string, actions: string[], profit: number): CampaignResult {
  const interval = { estimate: profit, lower: profit - 1, upper: profit + 1, se: 0.5 };
  return {
    campaign,
    window: { start: "2026-01-01", end: "2026-11-30" },
    groups: { treated: 90, control: 10, control_share: 0.1 },
    method: "difference in means",
    actions: actions.map(
      (action) => ({ action, incremental_profit_total: interval }) as unknown as ActionResult,
    ),
    qini: [],
    incremental_profit: profit * actions.length,
    notes: [],
  };
}

/** The campaigns with a series on /metrics, and the number of series. */
function exported(registry: MetricsRegistry): { campaigns: Set<string>; series: number } {
  const lines = registry
    .expose()
    .split("\n")
    .filter((l) => l.startsWith("campaign_incremental_profit{"));
  const campaigns = new Set(lines.map((l) => /campaign="([^"]*)"/.exec(l)?.[1] as string));
  return { campaigns, series: lines.length };
}

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  const db = testDb.handle.db;
  // 60 campaigns last reported 40–99 days ago (finished), 60 reported in the last 60 hours.
  for (let i = 0; i < 60; i++) {
    const old = new Date(NOW - (40 + i) * DAY);
    await saveCampaignResult(db, resultOf(`old-${i}`, ["email", "sms"], i), old);
    const recent = new Date(NOW - (i + 1) * 3_600_000);
    await saveCampaignResult(db, resultOf(`new-${i}`, ["email", "sms"], i), recent);
  }
}, 60_000);

afterAll(async () => {
  await testDb.cleanup();
});

describe("campaign_incremental_profit series", () => {
  test("only campaigns reported within the age, at most the latest N", async () => {
    const registry = new MetricsRegistry();
    const metrics = campaignMetrics(registry, async () => testDb.handle.db, {
      now: () => NOW,
      maxReportAgeDays: 30,
      maxCampaigns: 50,
    });
    await metrics.refresh();
    const { campaigns, series } = exported(registry);
    // 50 campaigns × (2 actions × 3 bounds + "all"): 350 series, where all 120 gave 840.
    expect(series).toBe(350);
    expect(campaigns.size).toBe(50);
    // The 50 most recently reported: new-0 … new-49; none finished.
    for (let i = 0; i < 50; i++) expect(campaigns.has(`new-${i}`)).toBe(true);
    expect([...campaigns].some((c) => c.startsWith("old-"))).toBe(false);
  });

  test("a longer age brings finished campaigns back; a re-report without an action drops it", async () => {
    const registry = new MetricsRegistry();
    let now = NOW;
    const metrics = campaignMetrics(registry, async () => testDb.handle.db, {
      now: () => now,
      maxReportAgeDays: 60,
      maxCampaigns: 200,
    });
    await metrics.refresh();
    // 60 recent + old-0 … old-19 (40–59 days): 80 campaigns, 560 series.
    expect(exported(registry)).toMatchObject({ series: 560 });
    await saveCampaignResult(testDb.handle.db, resultOf("new-0", ["email"], 1), new Date(NOW));
    now += 100 * DAY; // 100 days on, every report is older than 60 days: no series
    await metrics.refresh();
    expect(exported(registry).series).toBe(0);
    now = NOW;
    await metrics.refresh();
    expect(exported(registry).series).toBe(560 - 3);
  });

  test("the service's defaults: 30 days, 50 campaigns; both configurable", () => {
    const defaults = parseConfig({});
    expect(defaults.CAMPAIGN_METRICS_MAX_AGE_DAYS).toBe(30);
    expect(defaults.CAMPAIGN_METRICS_MAX_CAMPAIGNS).toBe(50);
    const set = parseConfig({
      CAMPAIGN_METRICS_MAX_AGE_DAYS: "90",
      CAMPAIGN_METRICS_MAX_CAMPAIGNS: "10",
    });
    expect([set.CAMPAIGN_METRICS_MAX_AGE_DAYS, set.CAMPAIGN_METRICS_MAX_CAMPAIGNS]).toEqual([
      90, 10,
    ]);
    expect(() => parseConfig({ CAMPAIGN_METRICS_MAX_CAMPAIGNS: "0" })).toThrow(
      /CAMPAIGN_METRICS_MAX_CAMPAIGNS/,
    );
  });
});
