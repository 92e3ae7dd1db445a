// The latest result of each campaign: of more campaigns than the limit, the most recently reported
// are kept (DISTINCT ON orders by campaign id, so the limit kept the alphabetically first: a
// campaign reported today was "not measured" on the campaigns page and had no gauge).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import type { CampaignResult } from "./campaign-result.ts";
import { latestCampaignResults, saveCampaignResult } from "./campaign-results-store.ts";

function resultOf(campaign: string, windowEnd: string, profit: number): CampaignResult {
  return {
    campaign,
    window: { start: "2026-01-01", end: windowEnd },
    groups: { treated: 90, control: 10, control_share: 0.1 },
    method: "difference in means",
    actions: [],
    qini: [],
    incremental_profit: profit,
    notes: [],
  };
}

const T0 = Date.parse("2026-11-01T00:00:00Z");
const minutes = (m: number) => new Date(T0 + m * 60_000);

for (const driver of testDrivers()) {
  describe(`latestCampaignResults (${driver})`, () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await openTestDatabase(driver);
    }, 60_000);
    afterAll(async () => {
      await db?.cleanup();
    });

    test("keeps the most recently reported campaigns, each at its latest report", async () => {
      const d = db.handle.db;
      // c-000 … c-204, reported one a minute: the newest are the alphabetically last.
      for (let i = 0; i < 205; i++) {
        const id = `c-${String(i).padStart(3, "0")}`;
        await saveCampaignResult(d, resultOf(id, "2026-10-01", i), minutes(i));
      }
      // c-000 reported again, later than all: its latest report counts, once.
      await saveCampaignResult(d, resultOf("c-000", "2026-10-15", -1), minutes(300));
      const latest = await latestCampaignResults(d, 200);
      expect(latest).toHaveLength(200);
      expect(latest[0]?.campaignId).toBe("c-000");
      expect(latest[0]?.incrementalProfit).toBe(-1);
      expect(latest[1]?.campaignId).toBe("c-204");
      expect(latest.at(-1)?.campaignId).toBe("c-006");
      expect(new Set(latest.map((r) => r.campaignId)).size).toBe(200);
      expect(latest[0]?.reportedAt).toBeInstanceOf(Date);
    });
  });
}
