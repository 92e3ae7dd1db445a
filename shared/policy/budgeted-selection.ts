// Budgeted selection for /decision/batch: give each customer at most one action so that total
// expected profit is as high as possible with total cost within the budget (a multiple-choice
// knapsack).
//
// - All useful actions cost the same c > 0: exact. Each customer's best action is worth taking
//   or not, so the top ⌊budget / c⌋ customers by best profit are optimal.
// - Otherwise: the LP-relaxation greedy. Each customer's options (with "none" at (0, 0)) are
//   reduced to their upper convex hull in (cost, profit); the hull's steps are taken across all
//   customers in order of profit per unit cost. The first step that does not fit marks the LP
//   optimum (that step taken fractionally), so LP ≥ the true optimum ≥ greedy, and
//   greedy ≥ LP − (profit of that step) ≥ LP − (largest single-action profit). Steps after it
//   that still fit (for other customers) are taken too, which only raises the total. Then what
//   budget is left goes to the most profitable single upgrades that fit, below the hull too (a
//   customer whose next hull step did not fit was left at their first): on random batches of 5
//   CDNOW customers it had left a profitable upgrade unbought in 95 of 150. The answer reports
//   the LP bound and the gap.

import { compensatedSum } from "../numeric/compensated-sum.ts";

export interface SelectionOption {
  action: string;
  cost: number;
  profit: number;
}

export interface SelectionPick {
  /** Index of the customer in the input. */
  index: number;
  option: SelectionOption;
}

export interface SelectionResult {
  picks: SelectionPick[];
  totalCost: number;
  totalProfit: number;
  method: "equal-cost-exact" | "lp-greedy";
  exact: boolean;
  /** Upper bound on the best achievable total profit (equals totalProfit when exact). */
  lpUpperBound: number;
  /** lpUpperBound − totalProfit: how far from optimal the answer can at most be. */
  gap: number;
  /** The a-priori bound: the greedy is within this of the optimum. */
  maxSingleProfit: number;
}

/**
 * Rounding room of the budget comparisons, relative to the budget: three costs of 0.1 fit a budget
 * of 0.3, while a budget of 0 admits no cost at all (an absolute 1e-9 let every action costing
 * up to 1e-9 through, all of them at once).
 */
const BUDGET_SLACK = 1e-12;
/** Relative rounding room of the hull's collinearity test (costs come in any unit). */
const HULL_TOLERANCE = 1e-12;
/** Relative rounding room between the LP bound and the total (sums of up to 10,000 profits). */
const GAP_ROUNDING = 1e-12;

interface HullStep {
  customer: number;
  /** Position in the customer's hull (steps must be taken in order). */
  rank: number;
  dCost: number;
  dProfit: number;
  option: SelectionOption;
}

/** `options[i]` are customer i's eligible actions ("none" is implicit). */
export function selectWithinBudget(
  options: ReadonlyArray<ReadonlyArray<SelectionOption>>,
  budget: number,
): SelectionResult {
  // Only actions that pay and fit can ever be chosen. Any profit above 0 pays, as in /decision:
  // the selection does not depend on the unit of cost and profit (an absolute 1e-9 here dropped
  // every action of a batch priced in a unit where profits are 1e-10, which /decision took).
  const slack = budget * BUDGET_SLACK;
  const useful = options.map((list) =>
    list.filter((o) => o.profit > 0 && o.cost <= budget + slack && Number.isFinite(o.profit)),
  );
  let maxSingleProfit = 0;
  const costs = new Set<number>();
  for (const list of useful) {
    for (const o of list) {
      costs.add(o.cost);
      if (o.profit > maxSingleProfit) maxSingleProfit = o.profit;
    }
  }
  const [onlyCost] = costs;
  if (costs.size === 0) return emptyResult(maxSingleProfit);
  if (costs.size === 1 && (onlyCost as number) > 0) {
    return equalCostSelection(useful, budget, slack, onlyCost as number, maxSingleProfit);
  }
  return lpGreedySelection(useful, budget, slack, maxSingleProfit);
}

function emptyResult(maxSingleProfit: number): SelectionResult {
  return {
    picks: [],
    totalCost: 0,
    totalProfit: 0,
    method: "equal-cost-exact",
    exact: true,
    lpUpperBound: 0,
    gap: 0,
    maxSingleProfit,
  };
}

function bestOf(list: ReadonlyArray<SelectionOption>): SelectionOption | undefined {
  let best: SelectionOption | undefined;
  for (const o of list) if (!best || o.profit > best.profit) best = o;
  return best;
}

function equalCostSelection(
  useful: ReadonlyArray<ReadonlyArray<SelectionOption>>,
  budget: number,
  slack: number,
  cost: number,
  maxSingleProfit: number,
): SelectionResult {
  const slots = Math.floor((budget + slack) / cost);
  const candidates: SelectionPick[] = [];
  useful.forEach((list, index) => {
    const best = bestOf(list);
    if (best) candidates.push({ index, option: best });
  });
  candidates.sort((a, b) => b.option.profit - a.option.profit || a.index - b.index);
  const picks = candidates.slice(0, slots).sort((a, b) => a.index - b.index);
  const totalProfit = compensatedSum(picks.map((p) => p.option.profit));
  return {
    picks,
    totalCost: picks.length * cost,
    totalProfit,
    method: "equal-cost-exact",
    exact: true,
    lpUpperBound: totalProfit,
    gap: 0,
    maxSingleProfit,
  };
}

/** Upper convex hull steps of one customer's options, starting from the free base option. */
function hullSteps(
  customer: number,
  list: ReadonlyArray<SelectionOption>,
): {
  base: SelectionOption | undefined;
  steps: HullStep[];
} {
  let base: SelectionOption | undefined;
  for (const o of list) if (o.cost <= 0 && (!base || o.profit > base.profit)) base = o;
  const baseProfit = base?.profit ?? 0;
  const paid = list
    .filter((o) => o.cost > 0 && o.profit > baseProfit)
    .sort((a, b) => a.cost - b.cost || b.profit - a.profit);
  // Drop dominated options (no more profit than a cheaper one).
  const frontier: SelectionOption[] = [];
  for (const o of paid) {
    const last = frontier[frontier.length - 1];
    if (!last || o.profit > last.profit) frontier.push(o);
  }
  // Upper hull from the base point (0, baseProfit): efficiencies strictly decreasing.
  const hull: Array<{ cost: number; profit: number; option: SelectionOption | undefined }> = [
    { cost: 0, profit: baseProfit, option: base },
  ];
  for (const o of frontier) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2] as (typeof hull)[number];
      const b = hull[hull.length - 1] as (typeof hull)[number];
      // b is below (or on) the chord a→o: remove it. The tolerance is relative to the terms: an
      // absolute 1e-9 removed every b when costs were tiny (1e-300: all products below 1e-9),
      // keeping only a customer's dearest option, which a small budget could not take.
      const left = (b.cost - a.cost) * (o.profit - a.profit);
      const right = (b.profit - a.profit) * (o.cost - a.cost);
      if (left - right >= -HULL_TOLERANCE * (Math.abs(left) + Math.abs(right))) hull.pop();
      else break;
    }
    hull.push({ cost: o.cost, profit: o.profit, option: o });
  }
  const steps: HullStep[] = [];
  for (let k = 1; k < hull.length; k++) {
    const from = hull[k - 1] as (typeof hull)[number];
    const to = hull[k] as (typeof hull)[number];
    steps.push({
      customer,
      rank: k - 1,
      dCost: to.cost - from.cost,
      dProfit: to.profit - from.profit,
      option: to.option as SelectionOption,
    });
  }
  return { base, steps };
}

function lpGreedySelection(
  useful: ReadonlyArray<ReadonlyArray<SelectionOption>>,
  budget: number,
  slack: number,
  maxSingleProfit: number,
): SelectionResult {
  const chosen: Array<SelectionOption | undefined> = new Array(useful.length);
  const nextRank = new Int32Array(useful.length);
  const blocked = new Uint8Array(useful.length);
  const steps: HullStep[] = [];
  let totalProfit = 0;
  useful.forEach((list, customer) => {
    const hull = hullSteps(customer, list);
    if (hull.base) {
      chosen[customer] = hull.base;
      totalProfit += hull.base.profit;
    }
    for (const s of hull.steps) steps.push(s);
  });
  steps.sort((a, b) => b.dProfit * a.dCost - a.dProfit * b.dCost || a.rank - b.rank);

  let remaining = budget;
  let lpUpperBound = Number.NaN;
  for (const step of steps) {
    if (blocked[step.customer] || nextRank[step.customer] !== step.rank) continue;
    if (step.dCost <= remaining + slack) {
      remaining -= step.dCost;
      totalProfit += step.dProfit;
      chosen[step.customer] = step.option;
      nextRank[step.customer] = step.rank + 1;
    } else {
      if (Number.isNaN(lpUpperBound)) {
        // The LP optimum takes the first non-fitting step fractionally.
        lpUpperBound = totalProfit + (step.dProfit * Math.max(0, remaining)) / step.dCost;
      }
      blocked[step.customer] = 1;
    }
  }
  if (Number.isNaN(lpUpperBound)) lpUpperBound = totalProfit; // everything fitted: optimal
  spendLeftover(useful, chosen, remaining, slack);
  const picks: SelectionPick[] = [];
  chosen.forEach((option, index) => {
    if (option) picks.push({ index, option });
  });
  const totalCost = compensatedSum(picks.map((p) => p.option.cost));
  // The picks' own sum, as the cost's: the running total above (steps' profit differences)
  // left the last digits off what a client adding up the answer's picks gets.
  totalProfit = compensatedSum(picks.map((p) => p.option.profit));
  return {
    picks,
    totalCost,
    totalProfit,
    method: "lp-greedy",
    ...boundOf(lpUpperBound, totalProfit),
    maxSingleProfit,
  };
}

/**
 * How far a selection totalling `totalProfit` can be from the optimum under an LP bound: also for
 * a batch's answer once customers are withdrawn from it (erased-batch-items.ts).
 */
export function boundOf(
  lpUpperBound: number,
  totalProfit: number,
): Pick<SelectionResult, "exact" | "lpUpperBound" | "gap"> {
  // The steps after the break can lift the total above the LP value of the prefix; the LP bound
  // stays an upper bound of the optimum, so clamp the reported gap at 0.
  const upper = Math.max(lpUpperBound, totalProfit);
  // A gap within the sums' rounding (relative to the total: 512 on a total of 7e18, where an
  // absolute 1e-9 called an optimal selection inexact) is none: the selection is exact.
  const exact = upper - totalProfit <= GAP_ROUNDING * Math.abs(upper);
  return { exact, lpUpperBound: exact ? totalProfit : upper, gap: exact ? 0 : upper - totalProfit };
}

/** Most passes of spendLeftover (each gives every customer at most one upgrade). */
const LEFTOVER_PASSES = 10;

/**
 * Spends the budget the greedy left on single-customer upgrades (any option with more profit than
 * the customer's, whose extra cost fits), largest gain first; updates `chosen`, returns the profit
 * added. It only adds, so the LP bound stays an upper bound and the greedy's guarantee holds.
 */
function spendLeftover(
  useful: ReadonlyArray<ReadonlyArray<SelectionOption>>,
  chosen: Array<SelectionOption | undefined>,
  remaining: number,
  slack: number,
): number {
  let added = 0;
  for (let pass = 0; pass < LEFTOVER_PASSES && remaining > slack; pass++) {
    const upgrades: Array<{
      customer: number;
      option: SelectionOption;
      gain: number;
      extra: number;
    }> = [];
    useful.forEach((list, customer) => {
      const from = chosen[customer];
      for (const option of list) {
        const gain = option.profit - (from?.profit ?? 0);
        const extra = option.cost - (from?.cost ?? 0);
        if (gain > 0 && extra <= remaining + slack)
          upgrades.push({ customer, option, gain, extra });
      }
    });
    if (upgrades.length === 0) break;
    upgrades.sort((a, b) => b.gain - a.gain || a.extra - b.extra || a.customer - b.customer);
    const upgraded = new Set<number>();
    for (const u of upgrades) {
      if (upgraded.has(u.customer) || u.extra > remaining + slack) continue;
      upgraded.add(u.customer);
      chosen[u.customer] = u.option;
      remaining -= u.extra;
      added += u.gain;
    }
  }
  return added;
}
