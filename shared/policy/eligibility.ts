// Eligibility rules of a policy, evaluated per action; every failed rule gives a reason a
// person can read, prefixed with the rule's code (e.g. "min_p_alive: P(alive) 0.12 < 0.30").
import type { CandidateAction, CustomerOutlook } from "./expected-profit.ts";
import type { EligibilityRule } from "./policy-definition.ts";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, ""));

/** Reasons `action` fails the rules (empty when eligible). */
export function ineligibilityReasons(
  rules: readonly EligibilityRule[],
  action: CandidateAction,
  outlook: CustomerOutlook,
  profit: number,
): string[] {
  const reasons: string[] = [];
  for (const rule of rules) {
    if (rule.actions && !rule.actions.includes(action.id)) continue;
    const failure = checkRule(rule, action, outlook, profit);
    if (failure) reasons.push(`${rule.rule}: ${failure}`);
  }
  return reasons;
}

function checkRule(
  rule: EligibilityRule,
  action: CandidateAction,
  outlook: CustomerOutlook,
  profit: number,
): string | null {
  switch (rule.rule) {
    case "max_cost":
      return action.cost > rule.value
        ? `cost ${fmt(action.cost)} exceeds ${fmt(rule.value)}`
        : null;
    case "min_p_alive":
      if (!Number.isFinite(outlook.pAlive)) return "P(alive) is not available from the model";
      return outlook.pAlive < rule.value
        ? `P(alive) ${fmt(outlook.pAlive)} is below ${fmt(rule.value)}`
        : null;
    case "max_p_alive":
      if (!Number.isFinite(outlook.pAlive)) return "P(alive) is not available from the model";
      return outlook.pAlive > rule.value
        ? `P(alive) ${fmt(outlook.pAlive)} is above ${fmt(rule.value)} (customer not lapsing)`
        : null;
    case "min_expected_purchases":
      return outlook.expectedPurchases < rule.value
        ? `expected purchases ${fmt(outlook.expectedPurchases)} are below ${fmt(rule.value)}`
        : null;
    case "min_expected_profit":
      return profit < rule.value
        ? `expected profit ${fmt(profit)} is below ${fmt(rule.value)}`
        : null;
    case "min_roi": {
      if (action.cost <= 0) return null;
      const roi = profit / action.cost;
      return roi < rule.value ? `return on cost ${fmt(roi)} is below ${fmt(rule.value)}` : null;
    }
  }
}

export { fmt as formatFigure };
