// `ml campaign report` over a window that ends before some of the campaign's decisions (PGlite,
// a real CSV): customers decided on or after the window's last day have no days to buy in, so
// they are left out with a note instead of counting as treated customers who bought nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-window-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const decision = (customer: string, at: string, group: "treated" | "control") =>
  campaignDecisionRow(customer, new Date(at), { id: "late", group });

test("decisions on or after the window end are left out of the measurement, with a note", async () => {
  const early = "1997-10-01T10:00:00Z";
  const late = "1997-12-20T10:00:00Z"; // after the window's end (1997-12-01)
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...["t1", "t2", "t3", "t4"].map((c) => decision(c, early, "treated")),
    ...["k1", "k2", "k3"].map((c) => decision(c, early, "control")),
    ...["t5", "t6", "t7"].map((c) => decision(c, late, "treated")),
    ...["k4", "k5", "k6"].map((c) => decision(c, late, "control")),
    decision("t8", "1997-12-01T09:00:00Z", "treated"), // the window's last day: nothing after it
  ]);
  const csv = join(dir, "tx.csv");
  const buyers = ["t1", "t2", "t3", "t4", "k1"];
  writeFileSync(
    csv,
    `customer_id,date,amount\n${buyers.map((c) => `${c},1997-10-10,20`).join("\n")}\nt5,1997-12-30,20\n`,
  );
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "late",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: () => {},
  });
  const email = result.actions[0];
  expect(result.groups).toEqual({ treated: 4, control: 3, control_share: 3 / 7 });
  expect(email?.treated.customers).toBe(4);
  expect(email?.control.customers).toBe(3);
  // Treated: 10·1 − 1 = 9 each; control: 10·(1/3).
  expect(email?.incremental_profit_per_customer.estimate).toBeCloseTo(9 - 10 / 3, 12);
  expect(result.notes).toContain(
    "7 decisions made on or after the window's last day (1997-12-01) left out: no days to buy " +
      "in, and no change to a customer's group or action in the window",
  );
});

// sim-a: 20,000 customers decided in the window reported 13,911 treated / 6,089 control; 2,000 of
// them decided again after it, and the 1,229 answered none in the window whose first contact was
// the later decision left the groups (13,075 / 5,696), on the report and the campaign page.
test("decisions after the window change no customer's group or action inside it", async () => {
  const inWindow = "1997-10-01T10:00:00Z";
  const after = "1998-03-01T10:00:00Z";
  const none = (customer: string, at: string, group: "treated" | "control") => {
    const row = campaignDecisionRow(customer, new Date(at), { id: "again", group });
    const terms = { action: "none", cost: 0, margin: 0, uplift: 0, expected_profit: 0 };
    return { ...row, chosenAction: "none", wouldHaveAction: "none", scores: { campaign: terms } };
  };
  const email = (customer: string, at: string, group: "treated" | "control") =>
    campaignDecisionRow(customer, new Date(at), { id: "again", group });
  await new DecisionLogRepository(db.handle.db).insertMany([
    email("a1", inWindow, "treated"),
    email("a2", inWindow, "treated"),
    none("a3", inWindow, "treated"),
    email("b1", inWindow, "control"),
    none("b2", inWindow, "control"),
    // Decided again after the window: contacted now, and one in the other group (another secret).
    email("a3", after, "treated"),
    email("b2", after, "control"),
    email("a1", after, "control"),
  ]);
  const csv = join(dir, "again.csv");
  writeFileSync(csv, "customer_id,date,amount\na1,1997-10-10,20\nb1,1997-10-10,20\n");
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "again",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: () => {},
  });
  expect(result.groups).toEqual({ treated: 3, control: 2, control_share: 2 / 5 });
  expect(result.actions[0]?.treated.customers).toBe(2);
  expect(result.actions[0]?.control.customers).toBe(1);
  expect(result.notes.some((n) => n.includes("other group"))).toBe(false);
  expect(result.notes.some((n) => n.startsWith("3 decisions made on or after"))).toBe(true);
});
