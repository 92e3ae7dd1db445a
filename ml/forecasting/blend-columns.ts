// The `blend` forecast of a batch: the trained per-segment weights (ml/pipelines/blend.ts) applied
// to the BG/NBD, Pareto/NBD and GBDT columns at the requested horizon. Expected purchases, spend and
// CLV are linear, so each is the same weighted sum; P(alive) is BG/NBD's and P(purchase) follows
// from the blend's count distribution (negative binomial with the out-of-fold dispersion).

import type { BlendWeights } from "../pipelines/blend.ts";
import { blendForecast } from "../pipelines/blend.ts";
import { emptyColumns, type ModelColumns } from "./model-columns.ts";

export function blendColumns(
  weights: number[][],
  dispersion: number,
  x: ArrayLike<number>,
  inputs: readonly [ModelColumns, ModelColumns, ModelColumns],
  errors: ArrayLike<unknown>,
): ModelColumns {
  const n = x.length;
  const out = emptyColumns(n);
  const blend: BlendWeights = { pooling: Number.NaN, weights };
  const values = new Float64Array(3);
  const [bg, pn, gb] = inputs;
  // The three columns are passed, not named by key: a keyed lookup per value was slow on this path.
  const mix = (a: Float64Array, b: Float64Array, c: Float64Array, i: number) => {
    values[0] = a[i]!;
    values[1] = b[i]!;
    values[2] = c[i]!;
    return blendForecast(blend, x[i]!, values);
  };
  for (let i = 0; i < n; i++) {
    if (errors[i] || Number.isNaN(gb.expectedPurchases[i]!)) continue;
    const mu = mix(bg.expectedPurchases, pn.expectedPurchases, gb.expectedPurchases, i);
    out.expectedPurchases[i] = mu;
    out.pAlive[i] = bg.pAlive[i]!;
    out.pPurchase[i] =
      dispersion > 1e-9 ? 1 - (1 + dispersion * mu) ** (-1 / dispersion) : -Math.expm1(-mu);
    out.expectedSpend[i] = mix(bg.expectedSpend, pn.expectedSpend, gb.expectedSpend, i);
    out.clv[i] = mix(bg.clv, pn.clv, gb.clv, i);
  }
  return out;
}
