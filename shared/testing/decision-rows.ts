// Test support: a decision-log row with plain defaults, for tests that seed the log directly
// (erasure, retention, forget) rather than through the decision service.
import type { NewDecisionLogRow } from "../db/schema.ts";

export function decisionRow(
  customerId: string,
  decidedAt: Date = new Date(),
  overrides: Partial<NewDecisionLogRow> = {},
): NewDecisionLogRow {
  return {
    decisionId: crypto.randomUUID(),
    decidedAt,
    customerId,
    inputs: {},
    chosenAction: "none",
    scores: { none: 0 },
    policyName: "default",
    policyVersion: 1,
    modelName: "purchase",
    modelVersion: 1,
    ...overrides,
  };
}

/**
 * A campaign's decision about `customerId` for the one action "email" (cost 1, margin 10, uplift
 * 0.2): treated customers got it, control customers would have (the report's input).
 */
export function campaignDecisionRow(
  customerId: string,
  decidedAt: Date,
  campaign: { id: string; group: "treated" | "control"; expectedProfit?: number },
): NewDecisionLogRow {
  const scores = {
    campaign: {
      action: "email",
      cost: 1,
      margin: 10,
      uplift: 0.2,
      expected_profit: campaign.expectedProfit ?? 1,
      expected_purchases: 1,
      p_alive: 0.5,
    },
  };
  return decisionRow(customerId, decidedAt, {
    chosenAction: campaign.group === "treated" ? "email" : "none",
    scores,
    modelName: "m",
    campaignId: campaign.id,
    assignmentGroup: campaign.group,
    wouldHaveAction: "email",
  });
}
