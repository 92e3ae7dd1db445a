// The CLV discounting grid of ml/models/clv.ts made explicit: times t_k = min(k·step, horizon) and
// weights (1+d)^(−t_k), so that a customer's discounted purchases are Σ_k [E(t_k) − E(t_{k−1})]·w_k
// with every E(t_k) computed in one pass (see BgNbdExpectationCurve).
import { type ClvOptions, discountRatePerUnit } from "../models/clv.ts";

export interface DiscountGrid {
  times: Float64Array;
  weights: Float64Array;
}

export function discountGrid(options: ClvOptions): DiscountGrid {
  const d = discountRatePerUnit(options);
  const step = options.step ?? 1;
  const periods = Math.ceil(options.horizon / step - 1e-12);
  const times = new Float64Array(periods);
  const weights = new Float64Array(periods);
  const logDiscount = Math.log1p(d);
  for (let k = 1; k <= periods; k++) {
    const t = Math.min(k * step, options.horizon);
    times[k - 1] = t;
    weights[k - 1] = Math.exp(-t * logDiscount);
  }
  return { times, weights };
}

/** Σ_k [E(t_k) − E(t_{k−1})]·w_k for E at the grid's times (E(0) = 0). */
export function discountedSum(expected: Float64Array, weights: Float64Array): number {
  let total = 0;
  let previous = 0;
  for (let k = 0; k < weights.length; k++) {
    const e = expected[k]!;
    total += (e - previous) * weights[k]!;
    previous = e;
  }
  return total;
}
