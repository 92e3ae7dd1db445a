// Expected incremental profit of one action for one customer, under a policy's profit model.

import type { ProfitModel } from "./policy-definition.ts";

export interface CandidateAction {
  id: string;
  /** Cost of taking the action for one customer. */
  cost: number;
  /** Relative uplift, e.g. 0.15 = +15 %. */
  uplift: number;
  /** Margin per purchase. */
  margin: number;
}

/** The forecast figures the profit models use (from the policy's chosen model). */
export interface CustomerOutlook {
  expectedPurchases: number;
  /** Probability the customer is still alive; NaN when the model does not give it. */
  pAlive: number;
}

/**
 * Expected incremental purchases per unit of uplift under a profit model (what `uplift`
 * multiplies; a campaign measures uplift against it, so learned uplifts keep the model's units):
 * - `expected-profit`: E[purchases].
 * - `lapsing-uplift`: the uplift revives lapsed customers: (1 − P(alive)) × E[purchases | alive],
 *   with E[purchases | alive] = E[purchases] / P(alive) (0 when P(alive) is 0).
 */
export function upliftBase(model: ProfitModel, outlook: CustomerOutlook): number {
  const purchases = Math.max(0, outlook.expectedPurchases);
  if (model === "lapsing-uplift") {
    const pAlive = Number.isFinite(outlook.pAlive) ? Math.min(1, Math.max(0, outlook.pAlive)) : 1;
    const ifAlive = pAlive > 0 ? purchases / pAlive : 0;
    return (1 - pAlive) * ifAlive;
  }
  return purchases;
}

/** Expected incremental profit: uplift × upliftBase × margin − cost. */
export function expectedProfit(
  model: ProfitModel,
  action: CandidateAction,
  outlook: CustomerOutlook,
): number {
  return upliftBase(model, outlook) * action.uplift * action.margin - action.cost;
}
