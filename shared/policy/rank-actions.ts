// Ranks a customer's candidate actions under a policy: expected profit, eligibility and
// readable reasons per action, with "none" (do nothing, worth 0) always among them.
import { NO_ACTION } from "./action-id.ts";
import { formatFigure as fmt, ineligibilityReasons } from "./eligibility.ts";
import { type CandidateAction, type CustomerOutlook, expectedProfit } from "./expected-profit.ts";
import type { PolicyDefinition } from "./policy-definition.ts";
import { withPolicyUplift } from "./policy-uplift.ts";

export { NO_ACTION } from "./action-id.ts";

export interface RankedAction {
  id: string;
  expected_profit: number;
  eligible: boolean;
  reasons: string[];
  cost: number;
}

export interface ActionRanking {
  chosen: string;
  /** Eligible actions first, then by expected profit (highest first). */
  ranked: RankedAction[];
}

function profitReason(
  policy: PolicyDefinition,
  action: CandidateAction,
  outlook: CustomerOutlook,
  profit: number,
): string {
  const x = fmt(outlook.expectedPurchases);
  // upliftBase takes a P(alive) the model does not give as 1 (nobody to revive).
  const pAlive = Number.isFinite(outlook.pAlive)
    ? fmt(outlook.pAlive)
    : "1, as the model gives none";
  if (policy.profit_model === "lapsing-uplift") {
    return (
      `expected_profit: uplift ${fmt(action.uplift)} × (1 − P(alive) ${pAlive}) × ` +
      `purchases if alive × margin ${fmt(action.margin)} − cost ${fmt(action.cost)} = ${fmt(profit)}`
    );
  }
  return (
    `expected_profit: ${x} expected purchases × uplift ${fmt(action.uplift)} × margin ` +
    `${fmt(action.margin)} − cost ${fmt(action.cost)} = ${fmt(profit)}`
  );
}

/** Order: eligible before ineligible, higher profit first; on equal profit, cheaper first. */
function compareRanked(a: RankedAction, b: RankedAction): number {
  if (a.eligible !== b.eligible) return a.eligible ? -1 : 1;
  if (a.expected_profit !== b.expected_profit) return b.expected_profit - a.expected_profit;
  if (a.cost !== b.cost) return a.cost - b.cost;
  if (a.id === NO_ACTION || b.id === NO_ACTION) return a.id === NO_ACTION ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function rankActions(
  policy: PolicyDefinition,
  actions: readonly CandidateAction[],
  outlook: CustomerOutlook,
): ActionRanking {
  const ranked: RankedAction[] = actions.map((asked) => {
    const action = withPolicyUplift(policy, asked, outlook.pAlive);
    const profit = expectedProfit(policy.profit_model, action, outlook);
    const failures = ineligibilityReasons(policy.rules, action, outlook, profit);
    return {
      id: action.id,
      expected_profit: profit,
      eligible: failures.length === 0,
      reasons: [
        profitReason(policy, action, outlook, profit),
        ...(action === asked
          ? []
          : [
              `uplift: the policy's measured ${fmt(action.uplift)} replaces the request's ${fmt(asked.uplift)}`,
            ]),
        ...failures,
      ],
      cost: action.cost,
    };
  });
  ranked.push({
    id: NO_ACTION,
    expected_profit: 0,
    eligible: true,
    reasons: ["baseline: doing nothing costs nothing and adds no purchases (0)"],
    cost: 0,
  });
  ranked.sort(compareRanked);
  const best = ranked[0] as RankedAction; // "none" is always there and eligible
  if (best.id === NO_ACTION) {
    best.reasons.push("chosen: no eligible action has a positive expected profit");
  } else {
    best.reasons.push("chosen: highest expected profit among eligible actions");
  }
  return { chosen: best.id, ranked };
}
