// `ml campaign report` over a campaign whose customers were logged in both groups while its share
// stayed pinned (a replica under another CAMPAIGN_SECRET): the note named "the control share
// changed", and customers held out then treated were measured as control (a probe: 96 of 200
// customers in both groups, 53 held out then treated counted as control). They are now left out
// of both arms, and the note names the other secret.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CampaignShares } from "@pp/shared/campaigns/campaign-shares.ts";
import { ControlAssignment } from "@pp/shared/policy/control-assignment.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-switched-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const FIRST = new Date("1997-10-01T10:00:00Z");
const LATER = new Date("1997-10-02T10:00:00Z");

test("customers in both groups under a pinned share: left out of both arms, the other secret named", async () => {
  const shares = new CampaignShares(
    async () => db.handle.db,
    new ControlAssignment("s-0123456789"),
  );
  await shares.pin("mixed", 0.5, FIRST);
  const at = (customer: string, when: Date, group: "treated" | "control") =>
    campaignDecisionRow(customer, when, { id: "mixed", group });
  await new DecisionLogRepository(db.handle.db).insertMany([
    at("t1", FIRST, "treated"),
    at("t2", FIRST, "treated"),
    at("k1", FIRST, "control"),
    at("k2", FIRST, "control"),
    at("s1", FIRST, "control"), // held out, then treated by the other replica
    at("s1", LATER, "treated"),
    at("s2", FIRST, "treated"),
    at("s2", LATER, "control"),
  ]);
  const purchases = ["t1", "t2", "s1", "s1", "k1"].map((c, i) => `${c},1997-10-1${i},20`);
  const csv = join(dir, "tx.csv");
  writeFileSync(csv, `customer_id,date,amount\n${purchases.join("\n")}\n`);
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "mixed",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: () => {},
  });
  const email = result.actions.find((a) => a.action === "email");
  expect(email?.treated.customers).toBe(2);
  expect(email?.control.customers).toBe(2);
  expect(email?.control.purchases_per_customer).toBeCloseTo(1 / 2, 12);
  const note = result.notes.find((n) => n.includes("other group"));
  expect(note).toContain("2 later decisions put 2 customers in the other group");
  expect(note).toContain("pinned at 0.5");
  expect(note).toContain("another CAMPAIGN_SECRET");
  expect(note).toContain("left out of both arms");
  expect(note).not.toContain("the control share changed");
});

test("a customer in both groups under two Unicode spellings: the note names the spelling, not a secret", async () => {
  const shares = new CampaignShares(
    async () => db.handle.db,
    new ControlAssignment("s-0123456789"),
  );
  await shares.pin("spelled", 0.5, FIRST);
  const at = (customer: string, when: Date, group: "treated" | "control") =>
    campaignDecisionRow(customer, when, { id: "spelled", group });
  const jose = "José".normalize("NFC");
  // Split on the id as sent (before 2026-12-06), "José" composed and decomposed fell apart.
  await new DecisionLogRepository(db.handle.db).insertMany([
    at("t1", FIRST, "treated"),
    at("k1", FIRST, "control"),
    at(jose, FIRST, "treated"),
    at(jose.normalize("NFD"), LATER, "control"),
  ]);
  const csv = join(dir, "tx-spelled.csv");
  writeFileSync(csv, "customer_id,date,amount\nt1,1997-10-10,20\nk1,1997-10-11,20\n");
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "spelled",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: () => {},
  });
  const note = result.notes.find((n) => n.includes("other group"));
  expect(note).toContain("1 later decisions put 1 customers in the other group");
  expect(note).toContain("1 of them logged with a decomposed id");
  expect(note).not.toContain("another CAMPAIGN_SECRET");
  expect(note).toContain("left out of both arms");
});
