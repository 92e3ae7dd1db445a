// `ml campaign report` over a campaign decided in two waves (PGlite, a real CSV): a customer
// answered `none` in the first wave (the budget ran out) and contacted in the second is measured
// under the action of that contact, from its day, as is a control customer whose shadow action
// came in the second wave; a treated customer contacted twice is charged both contacts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCampaignLearn } from "./campaign-learn.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-waves-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const WAVE_1 = new Date("1997-10-01T10:00:00Z");
const WAVE_2 = new Date("1997-10-15T10:00:00Z");

/** An email decision (cost 1, margin 10): sent to a treated customer, a control one's shadow. */
const email = (customer: string, at: Date, group: "treated" | "control") =>
  campaignDecisionRow(customer, at, { id: "waves", group });

/** A `none` decision, as the service logs one: no action, no cost. */
const none = (customer: string, at: Date, group: "treated" | "control") => {
  const row = campaignDecisionRow(customer, at, { id: "waves", group });
  const terms = { action: "none", cost: 0, margin: 0, uplift: 0, expected_profit: 0 };
  return { ...row, chosenAction: "none", wouldHaveAction: "none", scores: { campaign: terms } };
};

test("customers first answered none and contacted in a second wave are measured under that contact", async () => {
  await new DecisionLogRepository(db.handle.db).insertMany([
    email("t1", WAVE_1, "treated"),
    email("t2", WAVE_1, "treated"),
    none("t3", WAVE_1, "treated"),
    none("t4", WAVE_1, "treated"),
    none("t5", WAVE_1, "treated"),
    email("k1", WAVE_1, "control"),
    none("k2", WAVE_1, "control"),
    none("k3", WAVE_1, "control"),
    email("t1", WAVE_2, "treated"), // contacted again: charged a second time
    none("t2", WAVE_2, "treated"),
    email("t3", WAVE_2, "treated"),
    email("t4", WAVE_2, "treated"),
    none("t5", WAVE_2, "treated"), // never contacted: in no action
    email("k1", WAVE_2, "control"),
    email("k2", WAVE_2, "control"),
    none("k3", WAVE_2, "control"),
  ]);
  // t3 and k2 bought before their (shadow) contact on 10-15: not the campaign's effect.
  const purchases = [
    ["t1", "1997-10-20"],
    ["t1", "1997-11-05"],
    ["t2", "1997-10-20"],
    ["t3", "1997-10-05"],
    ["t3", "1997-10-20"],
    ["t4", "1997-11-01"],
    ["t5", "1997-10-20"],
    ["k1", "1997-10-20"],
    ["k2", "1997-10-10"],
    ["k3", "1997-10-20"],
  ];
  const csv = join(dir, "tx.csv");
  writeFileSync(
    csv,
    `customer_id,date,amount\n${purchases.map(([c, d]) => `${c},${d},20`).join("\n")}\n`,
  );
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "waves",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: () => {},
  });
  const action = result.actions.find((a) => a.action === "email");
  // Treated t1..t4: purchases 2, 1, 1, 1; cost 2 (two contacts), 1, 1, 1. Control k1, k2: 1, 0.
  expect(action?.treated.customers).toBe(4);
  expect(action?.control.customers).toBe(2);
  expect(action?.treated.purchases_per_customer).toBeCloseTo(5 / 4, 12);
  expect(action?.control.purchases_per_customer).toBeCloseTo(1 / 2, 12);
  expect(action?.cost_per_customer).toBeCloseTo(5 / 4, 12);
  // 10 × 1.25 − 1.25 = 11.25 against 10 × 0.5 = 5: 6.25 a customer, 25 over the 4 treated.
  expect(action?.incremental_profit_per_customer.estimate).toBeCloseTo(6.25, 12);
  expect(result.incremental_profit).toBeCloseTo(25, 12);
  expect(result.notes).toContain(
    "8 repeated decisions of the same customers: each customer keeps the group of its first " +
      "decision and the action of its first contact (its first decision with an action other " +
      "than none, from whose day its purchases are counted); the 1 later contacts of treated " +
      "customers (cost 1.00) are counted in that action's cost",
  );
});

// A second wave that upgraded email customers to a call: each customer is measured under its
// first contact, so the calls' cost and effect were email's, with `call` named nowhere (a probe:
// 171 calls, 1,026 of email's cost; email at 0 and call at +0.6 measured email at +0.166, and
// `campaign learn` raised email's uplift on the call's effect).
test("a second wave's other action is named on the first action's row, and learn leaves that action alone", async () => {
  const row = (customer: string, at: Date, group: "treated" | "control") =>
    campaignDecisionRow(customer, at, { id: "upgrade", group });
  const call = (customer: string, at: Date) => {
    const r = row(customer, at, "treated");
    const terms = { action: "call", cost: 6, margin: 10, uplift: 0.4, expected_profit: 2 };
    return { ...r, chosenAction: "call", wouldHaveAction: "call", scores: { campaign: terms } };
  };
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...["u1", "u2", "u3", "u4"].map((c) => row(c, WAVE_1, "treated")),
    ...["v1", "v2", "v3", "v4"].map((c) => row(c, WAVE_1, "control")),
    call("u1", WAVE_2),
    call("u2", WAVE_2),
    row("u3", WAVE_2, "treated"),
  ]);
  const bought = ["u1", "u2", "u1", "v1", "u3"].map((c, i) => `${c},1997-10-2${i},20`);
  const csv = join(dir, "upgrade.csv");
  writeFileSync(csv, `customer_id,date,amount\n${bought.join("\n")}\n`);
  const lines: string[] = [];
  const result = await runCampaignReport({
    db: db.handle.db,
    campaign: "upgrade",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-01",
    print: (line) => lines.push(line),
  });
  const email = result.actions.find((a) => a.action === "email");
  expect(email?.later_contacts).toEqual([
    { action: "call", contacts: 2, cost: 12 },
    { action: "email", contacts: 1, cost: 1 },
  ]);
  expect(email?.cost_per_customer).toBeCloseTo((4 + 12 + 1) / 4, 12);
  const line = lines.find((l) => l.startsWith("email:"));
  expect(line).toContain("includes later contacts of its treated: call ×2 (cost 12.00), email ×1");
  const note = result.notes.find((n) =>
    n.startsWith("email: its treated customers were contacted again"),
  );
  expect(note).toContain("call ×2 (cost 12.00)");
  expect(note).toContain("email's cost, measured effect and uplift include call's");
  const learned: string[] = [];
  await expect(
    runCampaignLearn({ db: db.handle.db, campaign: "upgrade", print: (l) => learned.push(l) }),
  ).rejects.toThrow('no action of "upgrade" can be learned');
  expect(learned).toContain(
    "note: email: its treated customers were contacted again with call ×2, whose effect its measured uplift includes: left as it is",
  );
});
