// withoutErasedItems on an exploring campaign batch: a customer the log skipped for an erasure
// leaves the answer's exploration count with its row, so the count is the explored rows logged.
import { expect, test } from "bun:test";
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import type { BatchAnswer } from "./decide-batch.ts";
import { withoutErasedItems } from "./erased-batch-items.ts";

/** A treated row of the campaign, explored or not, choosing `action` at cost 1. */
const treated = (id: string, customer: string, explored: boolean): NewDecisionLogRow =>
  decisionRow(customer, new Date(), {
    decisionId: id,
    chosenAction: "email",
    campaignId: "spring",
    assignmentGroup: "treated",
    explored,
    propensity: explored ? 0.15 : 0.85,
  });

const pick = (id: string, customer: string) => ({
  id: customer,
  action: "email",
  cost: 1,
  expected_profit: 2,
  decision_id: id,
});

test("an erased explored customer leaves campaign.exploration.explored; a greedy one does not", () => {
  const rows = [
    treated("d-1", "c-1", true),
    treated("d-2", "c-2", true),
    treated("d-3", "c-3", false),
  ];
  const answer: BatchAnswer = {
    batch_id: "b-1",
    selected: [pick("d-3", "c-3"), pick("d-1", "c-1"), pick("d-2", "c-2")],
    totals: { customers: 3, cost: 3, expected_profit: 6 },
    selection: { method: "greedy", exact: false, budget: 10, lp_upper_bound: 2, gap: 0, bound: "" },
    considered: 3,
    errors: [],
    policy: { name: "default", version: 1 },
    model: { name: "purchase", version: 1 },
    campaign: {
      id: "spring",
      control_share: 0.1,
      groups: { treated: 3, control: 0 },
      control: [],
      exploration: { share: 0.3, explored: 2 },
    },
  };
  const explored = (erased: string[]) =>
    withoutErasedItems(answer, rows, new Set(erased)).campaign?.exploration;
  expect(explored(["d-1"])).toEqual({ share: 0.3, explored: 1 });
  expect(explored(["d-1", "d-2"])).toEqual({ share: 0.3, explored: 0 });
  expect(explored(["d-3"])).toEqual({ share: 0.3, explored: 2 });
});
