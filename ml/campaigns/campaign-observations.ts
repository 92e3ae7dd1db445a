// One row per campaign customer, column-wise in typed arrays: the action the policy picked (for
// control customers: the one they would have received), the group, what the decision assumed and
// what the customer bought after it. Built from the decision log or by the campaign simulator.

export interface CampaignObservations {
  n: number;
  /** Action ids; `action[i]` indexes into it (−1: the policy picked no action). */
  actions: string[];
  action: Int32Array;
  /** 1 treated, 0 control. */
  treated: Uint8Array;
  /** Purchase days in the window after the decision (same-day transactions are one purchase). */
  purchases: Float64Array;
  spend: Float64Array;
  margin: Float64Array;
  cost: Float64Array;
  assumedUplift: Float64Array;
  /** Expected incremental purchases per unit of uplift under the decision's profit model. */
  upliftBase: Float64Array;
  predictedProfit: Float64Array;
  /** NaN when the decision did not record it. */
  pAlive: Float64Array;
  /**
   * With an exploration share (absent otherwise): 1 when the action was drawn by exploration, the
   * logged propensity (NaN when none), and the indexes into `actions` of the eligible actions.
   */
  exploration?: {
    explored: Uint8Array;
    propensity: Float64Array;
    eligible: Array<readonly number[]>;
  };
}

export function emptyObservations(n: number, actions: string[]): CampaignObservations {
  return {
    n,
    actions,
    action: new Int32Array(n).fill(-1),
    treated: new Uint8Array(n),
    purchases: new Float64Array(n),
    spend: new Float64Array(n),
    margin: new Float64Array(n),
    cost: new Float64Array(n),
    assumedUplift: new Float64Array(n),
    upliftBase: new Float64Array(n),
    predictedProfit: new Float64Array(n),
    pAlive: new Float64Array(n).fill(Number.NaN),
  };
}

/** Realised profit of customer i: margin × purchases, minus the action's cost when treated. */
export function realisedProfit(o: CampaignObservations, i: number): number {
  const gross = o.margin[i]! * o.purchases[i]!;
  return o.treated[i] ? gross - o.cost[i]! : gross;
}
