// A campaign reported before its decisions' horizon is over, or long after: each customer is
// measured over the horizon its decision was made for, and a window that covers part of it
// scales the expected purchases the uplift is measured against. Against the whole horizon's,
// a 30-day window of a 13-week campaign read a true call uplift of 0.5 as 0.18, and `campaign
// learn` proposed cutting the policy's uplift to it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { dayToIsoDate } from "../data/transaction-log.ts";
import { runCampaignReport } from "./campaign-report.ts";
import { simulateCampaignPopulation } from "./campaign-simulator.ts";
import { runSimulateCampaign } from "./simulate-campaign.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-horizon-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a window of 30 days, the horizon, or a year: the same uplift within its interval, and said", async () => {
  const csv = join(dir, "tx.csv");
  const options = { customers: 10_000, seed: 33 };
  await runSimulateCampaign({
    db: db.handle.db,
    campaign: "horizon",
    ...options,
    controlShare: 0.3,
    out: csv,
    print: () => {},
  });
  const decisionDay = simulateCampaignPopulation({ ...options, withHistory: false }).decisionDay;
  const report = async (days: number) => {
    const lines: string[] = [];
    const result = await runCampaignReport({
      db: db.handle.db,
      campaign: "horizon",
      data: csv,
      format: "csv",
      windowEnd: dayToIsoDate(decisionDay + days),
      print: (line) => lines.push(line),
    });
    return { result, lines };
  };
  const uplift = (r: CampaignResult, action: string) =>
    r.actions.find((a) => a.action === action)?.measured_uplift;
  const whole = await report(91);
  const month = await report(30);
  expect(whole.result.horizon_coverage).toBe(1);
  expect(month.result.horizon_coverage).toBeCloseTo(30 / 91, 9);
  expect(month.lines.join("\n")).toContain("the window covers 33% of the decisions' horizons");
  for (const action of ["call", "email"]) {
    const [w, m] = [uplift(whole.result, action), uplift(month.result, action)];
    if (!w || !m) throw new Error(`no ${action}`);
    // The two measure one uplift: within two standard errors of their difference.
    expect(Math.abs(w.estimate - m.estimate)).toBeLessThan(2 * Math.hypot(w.se, m.se));
  }
  expect(uplift(whole.result, "call")?.estimate).toBeGreaterThan(0.35);
  // A year: every horizon ended within it, so the same purchases and the same figures as the horizon.
  const year = await report(365);
  expect(year.result.actions).toEqual(whole.result.actions);
  expect(year.lines.join("\n")).toContain(
    "10000 customers' horizons ended before 1998-09-30: their purchases are counted to the end",
  );
});
