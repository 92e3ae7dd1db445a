// Eligibility rules of a policy, evaluated per action; every failed rule gives a reason a
// person can read, prefixed with the rule's code (e.g. "min_p_alive: P(alive) 0.12 < 0.30").
import type { CandidateAction, CustomerOutlook } from "./expected-profit.ts";
import type { EligibilityRule } from "./policy-definition.ts";

/**
 * A figure for a reason: whole numbers as they are, others to 4 decimals without trailing zeros,
 * and those that round to 0 with 4 significant digits (0.00001, 5e-324). Stripping the zeros
 * alone wrote 0.00001 as "0.", 0.99999 as "1." and -1e-5 as "-0.".
 */
const fmt = (x: number): string => {
  if (Number.isInteger(x)) return String(x);
  const fixed = x.toFixed(4).replace(/\.?0+$/, "");
  return fixed === "0" || fixed === "-0" ? String(Number(x.toPrecision(4))) : fixed;
};

/** Two figures compared in a reason: in full when 4 decimals would show them equal (1 < 1). */
function fmtPair(a: number, b: number): [string, string] {
  const [fa, fb] = [fmt(a), fmt(b)];
  return fa === fb && a !== b ? [String(a), String(b)] : [fa, fb];
}

/**
 * A rule's scope as a set, made once per list: a stored policy's scope has no bound on its length
 * (new ones at most 50), and each decision checks every action against every scoped rule.
 */
const scopes = new WeakMap<readonly string[], ReadonlySet<string>>();
function inScope(actions: readonly string[], id: string): boolean {
  let set = scopes.get(actions);
  if (!set) {
    set = new Set(actions);
    scopes.set(actions, set);
  }
  return set.has(id);
}

/** Reasons `action` fails the rules (empty when eligible). */
export function ineligibilityReasons(
  rules: readonly EligibilityRule[],
  action: CandidateAction,
  outlook: CustomerOutlook,
  profit: number,
): string[] {
  const reasons: string[] = [];
  for (const rule of rules) {
    if (rule.actions && !inScope(rule.actions, action.id)) continue;
    const failure = checkRule(rule, action, outlook, profit);
    if (failure) reasons.push(`${rule.rule}: ${failure}`);
  }
  return reasons;
}

/**
 * Reasons `action` fails the rules that need no forecast (its cost): what a fallback's default
 * action is held to when the forecast is unavailable.
 */
export function forecastFreeReasons(
  rules: readonly EligibilityRule[],
  action: CandidateAction,
): string[] {
  const costRules = rules.filter((rule) => rule.rule === "max_cost");
  const unknown: CustomerOutlook = { expectedPurchases: Number.NaN, pAlive: Number.NaN };
  return ineligibilityReasons(costRules, action, unknown, Number.NaN);
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
        ? `cost ${fmtPair(action.cost, rule.value).join(" exceeds ")}`
        : null;
    case "min_p_alive":
      if (!Number.isFinite(outlook.pAlive)) return "P(alive) is not available from the model";
      return outlook.pAlive < rule.value
        ? `P(alive) ${fmtPair(outlook.pAlive, rule.value).join(" is below ")}`
        : null;
    case "max_p_alive":
      if (!Number.isFinite(outlook.pAlive)) return "P(alive) is not available from the model";
      return outlook.pAlive > rule.value
        ? `P(alive) ${fmtPair(outlook.pAlive, rule.value).join(" is above ")} (customer not lapsing)`
        : null;
    case "min_expected_purchases":
      return outlook.expectedPurchases < rule.value
        ? `expected purchases ${fmtPair(outlook.expectedPurchases, rule.value).join(" are below ")}`
        : null;
    case "min_expected_profit":
      return profit < rule.value
        ? `expected profit ${fmtPair(profit, rule.value).join(" is below ")}`
        : null;
    case "min_roi": {
      // At no cost the return is +∞ for a gain and −∞ for a loss: a free action that loses fails.
      if (action.cost <= 0)
        return profit < 0 ? `expected profit ${fmt(profit)} at no cost (return on cost −∞)` : null;
      const roi = profit / action.cost;
      return roi < rule.value
        ? `return on cost ${fmtPair(roi, rule.value).join(" is below ")}`
        : null;
    }
  }
}

export { fmt as formatFigure };
