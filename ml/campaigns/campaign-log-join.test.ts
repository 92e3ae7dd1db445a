// Reading a campaign back from decision_log (PGlite): first decision per customer, its group and
// terms; repeats and group switches counted; rows of other campaigns and non-campaign rows ignored.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { isoDateToDay } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import { joinPurchases, readCampaignDecisions } from "./campaign-log-join.ts";
import { measureCampaign } from "./measure-campaign.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
});
afterAll(async () => {
  await db.cleanup();
});

function row(customer: string, at: string, fields: Partial<NewDecisionLogRow>): NewDecisionLogRow {
  return {
    decisionId: crypto.randomUUID(),
    decidedAt: new Date(at),
    customerId: customer,
    inputs: {},
    chosenAction: "none",
    scores: {
      campaign: {
        action: "email",
        cost: 1,
        margin: 8,
        uplift: 0.2,
        expected_profit: 0.6,
        expected_purchases: 1.5,
        p_alive: 0.4,
      },
    },
    policyName: "default",
    policyVersion: 1,
    modelName: "m",
    modelVersion: 1,
    ...fields,
  };
}

test("first decision per customer; repeats and switched groups counted", async () => {
  const c = { campaignId: "k", wouldHaveAction: "email" };
  await new DecisionLogRepository(db.handle.db).insertMany([
    row("a", "1997-10-01T10:00:00Z", { ...c, assignmentGroup: "treated", chosenAction: "email" }),
    row("a", "1997-10-03T10:00:00Z", { ...c, assignmentGroup: "control" }), // share raised later
    row("b", "1997-10-02T10:00:00Z", { ...c, assignmentGroup: "control" }),
    row("b", "1997-10-04T10:00:00Z", { ...c, assignmentGroup: "control" }),
    row("c", "1997-10-02T10:00:00Z", { campaignId: "other", assignmentGroup: "treated" }),
    row("d", "1997-10-02T10:00:00Z", {}),
    row("a", "1997-10-01T10:00:00Z", {
      campaignId: "k2",
      wouldHaveAction: "email",
      assignmentGroup: "treated",
      chosenAction: "email",
    }),
  ]);
  const { decisions, repeats, switched, switchedCustomers } = await readCampaignDecisions(
    db.handle.db,
    "k",
  );
  // a, in both groups, is in neither arm.
  expect(decisions.map((d) => [d.customerId, d.group, d.action])).toEqual([
    ["b", "control", "email"],
  ]);
  expect(switchedCustomers).toBe(1);
  const [first] = (await readCampaignDecisions(db.handle.db, "k2")).decisions;
  expect(first).toMatchObject({
    cost: 1,
    margin: 8,
    uplift: 0.2,
    expectedPurchases: 1.5,
    pAlive: 0.4,
  });
  expect(first?.decidedDay).toBe(Math.floor(Date.parse("1997-10-01") / 86_400_000));
  expect(repeats).toBe(2);
  expect(switched).toBe(1);
});

test("with --ignore-id-case a customer decided on as Ann@X.org is ann@x.org, once", async () => {
  const c = { campaignId: "case", wouldHaveAction: "email", assignmentGroup: "treated" };
  await new DecisionLogRepository(db.handle.db).insertMany([
    row("Ann@X.org", "1997-10-01T10:00:00Z", { ...c, chosenAction: "email" }),
    row("ann@x.org", "1997-10-02T10:00:00Z", { ...c, chosenAction: "email" }),
  ]);
  const asSent = await readCampaignDecisions(db.handle.db, "case");
  expect(asSent.decisions.map((d) => d.customerId)).toEqual(["Ann@X.org", "ann@x.org"]);
  const folded = await readCampaignDecisions(db.handle.db, "case", { ignoreIdCase: true });
  expect(folded.decisions.map((d) => d.customerId)).toEqual(["ann@x.org"]);
  expect(folded.repeats).toBe(1);
});

test("a customer decided on decomposed (NFD, as macOS writes it) is the log's composed (NFC) customer, once", async () => {
  const c = { campaignId: "nfc", wouldHaveAction: "email", assignmentGroup: "treated" };
  const nfc = "José Müller";
  await new DecisionLogRepository(db.handle.db).insertMany([
    row(nfc.normalize("NFD"), "1997-10-01T10:00:00Z", { ...c, chosenAction: "email" }),
    row(nfc, "1997-10-02T10:00:00Z", { ...c, chosenAction: "email" }),
  ]);
  const { decisions, repeats } = await readCampaignDecisions(db.handle.db, "nfc");
  expect(decisions.map((d) => d.customerId)).toEqual([nfc]);
  expect(repeats).toBe(1);
});

test("an action logged decomposed (before action ids were read in NFC) is the composed action", async () => {
  const cafe = "café-10pct";
  const c = { campaignId: "nfc-action", assignmentGroup: "treated" };
  await new DecisionLogRepository(db.handle.db).insertMany([
    row("x", "1997-10-01T10:00:00Z", { ...c, wouldHaveAction: cafe.normalize("NFD") }),
    row("y", "1997-10-01T10:00:00Z", { ...c, wouldHaveAction: cafe }),
  ]);
  const { decisions } = await readCampaignDecisions(db.handle.db, "nfc-action");
  expect(decisions.map((d) => d.action)).toEqual([cafe, cafe]);
});

test("a lapsing-uplift campaign's uplift is measured against the uplift base its decisions logged", async () => {
  // P(alive) 0.25, E[purchases] 1: the lapsing model's base is 0.75 × 1 / 0.25 = 3 purchases per
  // unit of uplift. Control customers buy once, treated 2.5 times on average: +1.5 = 0.5 × 3.
  const terms = { cost: 1, margin: 10, uplift: 0.5, expected_purchases: 1, p_alive: 0.25 };
  const lapsing = (customer: string, group: "treated" | "control") =>
    row(customer, "1997-10-01T10:00:00Z", {
      campaignId: "lapsing",
      assignmentGroup: group,
      wouldHaveAction: "winback",
      scores: { campaign: { action: "winback", ...terms, expected_profit: 14, uplift_base: 3 } },
    });
  const treated = ["t1", "t2", "t3", "t4"];
  const control = ["c1", "c2", "c3", "c4"];
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...treated.map((c) => lapsing(c, "treated")),
    ...control.map((c) => lapsing(c, "control")),
  ]);
  const log = new TransactionLogBuilder({ withQuantity: false });
  const bought = { t1: 2, t2: 2, t3: 3, t4: 3, c1: 1, c2: 1, c3: 1, c4: 1 };
  for (const [id, days] of Object.entries(bought)) {
    const k = log.customerNumber(id);
    for (let d = 0; d < days; d++) log.push(k, isoDateToDay("1997-10-05") + d, 20);
  }
  const { decisions } = await readCampaignDecisions(db.handle.db, "lapsing");
  const joined = joinPurchases(decisions, log.finish(), isoDateToDay("1997-12-31"));
  const result = measureCampaign(joined.observations, {
    campaign: "lapsing",
    window: { start: "1997-10-02", end: "1997-12-31" },
  });
  expect(result.actions[0]?.incremental_purchases_per_customer.estimate).toBeCloseTo(1.5, 12);
  // In the policy's own units (what `campaign learn` stores); per expected purchase it was 1.5.
  expect(result.actions[0]?.measured_uplift.estimate).toBeCloseTo(0.5, 12);
});

test("a second wave's contacts of treated customers are charged: the campaign's profit is net of every contact", async () => {
  // Two waves over the same customers: the report kept each customer's first decision and left
  // the second wave's cost out, so 399.80 of contacts were reported as 199.90 (probe).
  const wave = (customer: string, group: "treated" | "control", at: string) =>
    row(customer, at, {
      campaignId: "waves",
      assignmentGroup: group,
      wouldHaveAction: "email",
      chosenAction: group === "treated" ? "email" : "none",
    });
  const treated = ["w1", "w2", "w3"];
  const control = ["v1", "v2", "v3"];
  await new DecisionLogRepository(db.handle.db).insertMany([
    ...[...treated.map((c) => wave(c, "treated", "1997-10-01T10:00:00Z"))],
    ...[...control.map((c) => wave(c, "control", "1997-10-01T10:00:00Z"))],
    ...[...treated.map((c) => wave(c, "treated", "1997-10-15T10:00:00Z"))],
    ...[...control.map((c) => wave(c, "control", "1997-10-15T10:00:00Z"))],
    wave("w1", "treated", "1998-01-05T10:00:00Z"), // after the window: not charged
  ]);
  const log = new TransactionLogBuilder({ withQuantity: false });
  for (const id of [...treated, ...control])
    log.push(log.customerNumber(id), isoDateToDay("1997-11-01"), 20);
  const { decisions, repeats } = await readCampaignDecisions(db.handle.db, "waves");
  expect(repeats).toBe(7);
  const joined = joinPurchases(decisions, log.finish(), isoDateToDay("1997-12-31"));
  expect(joined.laterContacts).toMatchObject({ count: 3, cost: 3 });
  expect(joined.laterContacts.byAction.get("email")?.get("email")).toEqual({
    contacts: 3,
    cost: 3,
  });
  const result = measureCampaign(joined.observations, {
    campaign: "waves",
    window: { start: "1997-10-02", end: "1997-12-31" },
  });
  // Same purchases in both groups (8 × 1 each): the campaign lost its two contacts per customer.
  expect(result.actions[0]?.cost_per_customer).toBe(2);
  expect(result.incremental_profit).toBeCloseTo(-6, 12);
});
