// `ml campaign report --data` holding none of the campaign's customers (another shop's file, the
// wrong column): refused, naming --data, and nothing stored. It measured every customer as buying
// nothing, wrote a -925.60 "incremental profit" for a simulated campaign against the CDNOW file,
// and that result replaced the campaign's page and gauges, with one note among the others.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { latestCampaignResult } from "@pp/shared/campaigns/campaign-results-store.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("postgres");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-wrong-data-"));
  const at = new Date("1997-10-01T10:00:00Z");
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...["c1", "c2", "c3"].map((c) => campaignDecisionRow(c, at, { id: "w", group: "treated" })),
    ...["c4", "c5", "c6"].map((c) => campaignDecisionRow(c, at, { id: "w", group: "control" })),
  ]);
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const report = (rows: string[]) => {
  const csv = join(dir, `tx-${rows.length}-${rows[0]}.csv`);
  writeFileSync(csv, `customer_id,date,amount\n${rows.join("\n")}\n`);
  return runCampaignReport({
    db: db.handle.db,
    campaign: "w",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: () => {},
  });
};

test("a file without any of the campaign's customers is refused and stores nothing", async () => {
  const others = ["1,1997-09-01,20", "2,1997-10-10,30", "3,1997-11-02,15"];
  const err = await report(others).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RangeError);
  expect((err as Error).message).toMatch(
    /^--data \S+: none of the campaign's 6 customers \(e\.g\. "c\d"\) is in it; its 3 customers are others \(e\.g\. "1"\)/,
  );
  expect(await latestCampaignResult(db.handle.db, "w")).toBeNull();
});

test("a file holding some of them (the others bought nothing) is measured", async () => {
  const result = await report(["c1,1997-10-10,20", "9,1997-10-11,5"]);
  expect(result.groups).toMatchObject({ treated: 3, control: 3 });
  expect(result.notes).toContain("5 campaign customers have no transactions in --data at all");
  expect(await latestCampaignResult(db.handle.db, "w")).not.toBeNull();
});
