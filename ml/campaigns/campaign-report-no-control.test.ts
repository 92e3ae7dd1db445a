// `ml campaign report` on campaigns too small to compare (PGlite, a real CSV): no control customer
// at all (control share 0), or one. The report says there is no interval, and campaign.html draws
// its charts without NaN coordinates (it drew axes and points at y="NaN").
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { campaignResults } from "@pp/shared/db/schema.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-no-control-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const decision = (campaign: string, customer: string, group: "treated" | "control") =>
  campaignDecisionRow(customer, new Date("1997-10-01T10:00:00Z"), {
    id: campaign,
    group,
    expectedProfit: Number(customer.slice(1)),
  });

test("no control customer, or one: no interval, and charts without NaN", async () => {
  const treated = ["c1", "c2", "c3", "c4", "c5", "c6"];
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...treated.map((c) => decision("all-treated", c, "treated")),
    ...treated.map((c) => decision("one-control", c, "treated")),
    decision("one-control", "c7", "control"),
  ]);
  const csv = join(dir, "tx.csv");
  writeFileSync(
    csv,
    "customer_id,date,amount\nc1,1997-10-10,20\nc2,1997-10-11,20\nc7,1997-10-12,20\n",
  );
  for (const campaign of ["all-treated", "one-control"]) {
    const out = join(dir, campaign);
    const result = await runCampaignReport({
      db: db.handle.db,
      campaign,
      data: csv,
      format: "csv",
      windowEnd: "1997-12-31",
      out,
      print: () => {},
    });
    expect(result.notes).toContain("email: fewer than 2 treated or control customers; no interval");
    const html = readFileSync(join(out, "campaign.html"), "utf8");
    expect(html).toContain("Qini curve");
    expect(html.match(/NaN/g)).toBeNull();
    // With no control customer nothing is measured: no incremental profit, not a break-even 0.
    if (campaign === "all-treated") {
      expect(result.incremental_profit).toBeNull();
      expect(result.notes).toContain("no action could be measured: no incremental profit");
      expect(html).toContain('<strong id="total-profit">–</strong>');
      const [stored] = await db.handle.db
        .select()
        .from(campaignResults)
        .where(eq(campaignResults.campaignId, campaign));
      expect(stored?.incrementalProfit).toBeNull();
    }
  }
});

test("the measurement's own notes are printed too, as campaign.json holds them", async () => {
  // The printed notes were those gathered before measuring: "no action could be measured" and
  // "fewer than 2 … no interval" were in campaign.json and on the page, never on the terminal.
  const printed: string[] = [];
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "all-treated",
    data: join(dir, "tx.csv"),
    format: "csv",
    windowEnd: "1997-12-31",
    print: (line) => printed.push(line),
  });
  expect(result.notes.length).toBeGreaterThan(0);
  for (const note of result.notes) expect(printed).toContain(`note: ${note}`);
  expect(printed).toContain("note: no action could be measured: no incremental profit");
  // The headline of campaign.html, also on the terminal (it was nowhere there).
  expect(printed).toContain("incremental profit: not measured");
  const one: string[] = [];
  const measured = await runCampaignReport({
    db: db.handle.db,
    campaign: "one-control",
    data: join(dir, "tx.csv"),
    format: "csv",
    windowEnd: "1997-12-31",
    print: (line) => one.push(line),
  });
  expect(one).toContain(
    `incremental profit: ${measured.incremental_profit?.toFixed(2)} (the measured actions' totals)`,
  );
});
