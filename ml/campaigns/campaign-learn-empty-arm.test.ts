// `ml campaign learn` on a campaign with an action whose control group is empty (3 coupon customers,
// all treated): learn proposed email's uplift and said nothing of coupon, so a reader took coupon's
// uplift for learned too. Now each action too small to learn from gets a note naming its arms.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { ensureActivePolicy } from "./active-policy.ts";
import { runCampaignLearn } from "./campaign-learn.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-learn-empty-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A decision of campaign "mixed" for `action` (email as campaignDecisionRow makes it, or coupon). */
function row(customer: string, group: "treated" | "control", action: string) {
  const r = campaignDecisionRow(customer, new Date("1997-10-01T10:00:00Z"), { id: "mixed", group });
  const scores = r.scores as { campaign: { action: string } };
  return {
    ...r,
    chosenAction: group === "treated" ? action : "none",
    wouldHaveAction: action,
    scores: { campaign: { ...scores.campaign, action } },
  };
}

test("an action with an empty control group is named, not silently left out", async () => {
  await ensureActivePolicy(db.handle.db);
  const email = Array.from({ length: 40 }, (_, i) => `e${i}`);
  const coupon = ["c0", "c1", "c2"];
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...email.map((c, i) => row(c, i % 2 === 0 ? "treated" : "control", "email")),
    ...coupon.map((c) => row(c, "treated", "coupon")),
  ]);
  const lines = [
    ...email.flatMap((c, i) => {
      const n = (i % 2 === 0 ? 1 : 0) + (Math.floor(i / 2) % 3);
      return Array.from({ length: n }, (_, k) => `${c},1997-10-${10 + k},20`);
    }),
    ...coupon.map((c) => `${c},1997-10-10,20`),
  ];
  const csv = join(dir, "mixed.csv");
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  await runCampaignReport({
    db: db.handle.db,
    campaign: "mixed",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
  const printed: string[] = [];
  await runCampaignLearn({ db: db.handle.db, campaign: "mixed", print: (l) => printed.push(l) });
  expect(printed).toContain(
    "note: coupon: 3 treated and 0 control customers, too few to measure (at least 2 in each arm): left as it is",
  );
  expect(printed.some((l) => l.startsWith("  email: uplift 0.200 →"))).toBe(true);
});
