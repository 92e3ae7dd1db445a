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
