// `ml campaign learn` on a measurement with a zero standard error (PGlite, a real CSV): every
// treated customer bought twice and every control customer once, so the measured uplift has no
// spread to weigh it by. Learn keeps the prior and says why, and `--activate` stores and activates
// no version that changes nothing (before: "weight 0.000" unexplained, and an identical v2 active).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { ensureActivePolicy } from "./active-policy.ts";
import { runCampaignLearn } from "./campaign-learn.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-learn-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a measured uplift with a zero standard error is kept out, said so, and nothing is activated", async () => {
  await ensureActivePolicy(db.handle.db); // default v1 active
  const customers = Array.from({ length: 10 }, (_, i) => `u${i}`);
  await new DecisionLogRepository(db.handle.db).insertMany(
    customers.map((c, i) =>
      campaignDecisionRow(c, new Date("1997-10-01T10:00:00Z"), {
        id: "alike",
        group: i % 2 === 0 ? "treated" : "control",
      }),
    ),
  );
  const csv = join(dir, "tx.csv");
  const lines = customers.flatMap((c, i) =>
    i % 2 === 0 ? [`${c},1997-10-10,20`, `${c},1997-10-20,20`] : [`${c},1997-10-10,20`],
  );
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "alike",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
  // One more purchase each against an expected 1: uplift 1, with no spread between customers.
  expect(result.actions[0]?.measured_uplift).toMatchObject({ estimate: 1, se: 0 });
  const printed: string[] = [];
  const learned = await runCampaignLearn({
    db: db.handle.db,
    campaign: "alike",
    activate: true,
    print: (l) => printed.push(l),
  });
  expect(printed).toContain(
    "  email: uplift 0.200 → 0.200 (measured 1.000 ± 0.000, weight 0.000: not weighed, its " +
      "standard error is 0: every customer of an arm bought alike, too few customers to tell " +
      "how far the measurement can be trusted)",
  );
  expect(printed).toContain(
    "no uplift changed: default v1 stays as it is (no version proposed, nothing activated)",
  );
  expect(learned).toMatchObject({ name: "default", version: 1, activated: false, changed: false });
  const versions = await new PolicyStore(db.handle.db).list("default");
  expect(versions.map((v) => [v.version, v.active])).toEqual([[1, true]]);
});

// learn (and the campaign page) took the result with the latest window end, not the report just
// run: a report of window 12-05 measuring email at −0.051 was followed by a learn proposing +0.301
// from an older report of window 12-06, and learn's output did not say which report it used.
test("learn uses the latest report run, and prints its window and when it was reported", async () => {
  await ensureActivePolicy(db.handle.db);
  const customers = Array.from({ length: 10 }, (_, i) => `w${i}`);
  await new DecisionLogRepository(db.handle.db).insertMany(
    customers.map((c, i) =>
      campaignDecisionRow(c, new Date("1997-10-01T10:00:00Z"), {
        id: "windows",
        group: i % 2 === 0 ? "treated" : "control",
      }),
    ),
  );
  const csv = join(dir, "windows.csv");
  const lines = customers.map((c, i) => `${c},1997-10-${10 + i},20`);
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  const report = (windowEnd: string) =>
    runCampaignReport({
      db: db.handle.db,
      campaign: "windows",
      data: csv,
      format: "csv",
      windowEnd,
      print: () => {},
    });
  await report("1997-12-31");
  await Bun.sleep(5);
  await report("1997-11-30"); // the later run, of an earlier window end
  const printed: string[] = [];
  await runCampaignLearn({ db: db.handle.db, campaign: "windows", print: (l) => printed.push(l) });
  expect(printed[0]).toMatch(
    /^learning from the report of campaign "windows" over 1997-10-02 → 1997-11-30, reported at \d{4}-\d\d-\d\dT[\d:.]+Z \(the latest report run; 1 other stored: window end 1997-12-31\)$/,
  );
});
