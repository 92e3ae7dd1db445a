// The `blend` forecast of a batch: the trained per-segment weights (ml/pipelines/blend.ts) applied
// to the BG/NBD, Pareto/NBD, GBDT and rate-if-alive columns at the requested horizon (bundles
// trained before the fourth member joined carry three weights per segment and stack three). Expected
// purchases, spend and CLV are linear, so each is the same weighted sum; P(alive) mixes the BTYD
// members' (blendPAlive) and so does P(purchase) (blendPurchaseMixture: each member's own, the
// GBDT's already carried to the horizon). The served distribution then has P(0) = 1 − that
// P(purchase) (a hurdle, ml/forecasting/intervals.ts meanOnlyPmf).

import type { BgNbdParams } from "../models/bgnbd.ts";
import { rateIfAliveForecast, rateIfAlivePurchaseProbability } from "../models/rate-if-alive.ts";
import type { BlendWeights } from "../pipelines/blend.ts";
import { blendForecast, blendPAlive, blendPurchaseMixture } from "../pipelines/blend.ts";
import type { BtydColumns } from "./btyd-columns.ts";
import { emptyColumns, type GbdtColumns, type ModelColumns } from "./model-columns.ts";

/**
 * The rate-if-alive member's columns (ml/models/rate-if-alive.ts) at `horizon`: h·(r + x)/(α + T)
 * purchases, each at the Gamma-Gamma expected spend, timed like BG/NBD's for the CLV (as the
 * GBDT's). Only the blend uses them; P(alive) and P(purchase) stay NaN.
 */
export function rateIfAliveColumns(
  params: Pick<BgNbdParams, "r" | "alpha">,
  batch: { x: ArrayLike<number>; T: ArrayLike<number>; errors: ArrayLike<unknown> },
  horizon: number,
  btyd: Pick<BtydColumns, "bg" | "bgDiscounted" | "meanSpend">,
): ModelColumns {
  const n = batch.x.length;
  const out = emptyColumns(n);
  const { bg, bgDiscounted, meanSpend } = btyd;
  for (let i = 0; i < n; i++) {
    if (batch.errors[i]) continue;
    const expected = rateIfAliveForecast(params, batch.x[i]!, batch.T[i]!, horizon);
    out.expectedPurchases[i] = expected;
    out.pPurchase[i] = rateIfAlivePurchaseProbability(params, batch.x[i]!, batch.T[i]!, horizon);
    const perPurchase = meanSpend[i]!;
    if (!Number.isNaN(perPurchase)) {
      out.expectedSpend[i] = expected * perPurchase;
      const eBg = bg.expectedPurchases[i]!;
      const share = eBg > 1e-12 ? bgDiscounted[i]! / eBg : 1;
      out.clv[i] = expected * share * perPurchase;
    }
  }
  return out;
}

export function blendColumns(
  weights: number[][],
  x: ArrayLike<number>,
  inputs: readonly [ModelColumns, ModelColumns, GbdtColumns, ModelColumns?],
  errors: ArrayLike<unknown>,
): ModelColumns {
  const n = x.length;
  const out = emptyColumns(n);
  const blend: BlendWeights = { pooling: Number.NaN, weights };
  const members = weights[0]?.length ?? 3;
  const [bg, pn, gb, rate] = inputs;
  if (members !== 3 && !(members === 4 && rate)) {
    throw new RangeError(`blend: ${members} weights per segment and ${inputs.length} members`);
  }
  const values = new Float64Array(members);
  const r = members === 4 ? rate : undefined;
  // The columns are passed, not named by key: a keyed lookup per value was slow on this path.
  const mix = (
    a: Float64Array,
    b: Float64Array,
    c: Float64Array,
    d: Float64Array | undefined,
    i: number,
    combine = blendForecast,
  ) => {
    values[0] = a[i]!;
    values[1] = b[i]!;
    values[2] = c[i]!;
    if (d) values[3] = d[i]!;
    return combine(blend, x[i]!, values);
  };
  for (let i = 0; i < n; i++) {
    if (errors[i] || Number.isNaN(gb.expectedPurchases[i]!)) continue;
    const mu = mix(
      bg.expectedPurchases,
      pn.expectedPurchases,
      gb.expectedPurchases,
      r?.expectedPurchases,
      i,
    );
    out.expectedPurchases[i] = mu;
    out.pAlive[i] = blendPAlive(blend, x[i]!, bg.pAlive[i]!, pn.pAlive[i]!);
    // At most the mean, as any count's P(at least one) (see gbdt-columns.ts).
    out.pPurchase[i] = Math.min(
      mix(bg.pPurchase, pn.pPurchase, gb.pPurchase, r?.pPurchase, i, blendPurchaseMixture),
      mu,
    );
    out.expectedSpend[i] = mix(
      bg.expectedSpend,
      pn.expectedSpend,
      gb.expectedSpend,
      r?.expectedSpend,
      i,
    );
    out.clv[i] = mix(bg.clv, pn.clv, gb.clv, r?.clv, i);
  }
  return out;
}
