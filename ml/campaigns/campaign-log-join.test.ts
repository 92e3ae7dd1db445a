// Reading a campaign back from decision_log (PGlite): first decision per customer, its group and
// terms; repeats and group switches counted; rows of other campaigns and non-campaign rows ignored.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { readCampaignDecisions } from "./campaign-log-join.ts";

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
  ]);
  const { decisions, repeats, switched } = await readCampaignDecisions(db.handle.db, "k");
  expect(decisions.map((d) => [d.customerId, d.group, d.action])).toEqual([
    ["a", "treated", "email"],
    ["b", "control", "email"],
  ]);
  expect(decisions[0]).toMatchObject({
    cost: 1,
    margin: 8,
    uplift: 0.2,
    expectedPurchases: 1.5,
    pAlive: 0.4,
  });
  expect(decisions[0]?.decidedDay).toBe(Math.floor(Date.parse("1997-10-01") / 86_400_000));
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
