// Neumaier's compensated summation, for sums whose last digits matter: a selection's total cost
// compared with its budget (budgeted-selection.ts), and a likelihood whose last changes steer a
// line search (ml/models/gamma-gamma.ts), a campaign arm's costs and assumed uplifts
// (ml/campaigns/measure-campaign.ts), the horizons' mean coverage (ml/campaigns/campaign-log-join.ts).
// One formula (roundingLost); its running state in locals, a typed array, or an object's fields
// (measure-campaign.ts's ShiftedSum).

/** What the double `t = sum + value` lost to rounding (Neumaier's correction term). */
export function roundingLost(sum: number, value: number, t: number): number {
  return Math.abs(sum) >= Math.abs(value) ? sum - t + value : value - t + sum;
}

/**
 * Adds `value` to sums[at], the rounding error gathered in sums[at + 1]; the sum so far is
 * sums[at] + sums[at + 1]. In a typed array, a hot loop's running sums stay unboxed doubles.
 */
export function addCompensated(sums: Float64Array, at: number, value: number): void {
  const sum = sums[at]!;
  const t = sum + value;
  sums[at + 1]! += roundingLost(sum, value, t);
  sums[at] = t;
}

/**
 * Σ values with Neumaier's compensation: 300 costs of 0.2 and one of 0.1 added one by one came to
 * 60.100000000000314 for a budget of 60.1 they fill exactly (the doubles' own sum rounds to 60.1).
 * Its state in locals: through a typed array a 10,000-cost sum took about twice as long.
 */
export function compensatedSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const v of values) {
    const t = sum + v;
    compensation += roundingLost(sum, v, t);
    sum = t;
  }
  return sum + compensation;
}
