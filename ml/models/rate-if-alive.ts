// BG/NBD's purchases over a horizon for a customer who is alive now and stays alive:
// h · (r + x) / (α + T). Given alive at T, BG/NBD's purchase rate λ is Gamma(r + x, α + T) a
// posteriori (the λ part of Fader, Hardie & Lee's 2005 likelihood), so this is its mean times the
// horizon, without the dropout. A heavy buyer's own rate is shrunk little (x = 20, T = 39 weeks:
// 0.466 a week against 20/39 = 0.513), a young customer's a lot (x = 1, T = 1 day: 0.27 against
// 7), so the blend (ml/pipelines/blend.ts) stacks it as a fourth member for the heavy buyers whom
// BG/NBD's dropout and the GBDT shrink towards the population. The one definition, used by
// training and by serving (ml/forecasting/blend-columns.ts).
import type { BgNbdParams } from "./bgnbd.ts";

/** Expected purchases in `horizon` time units at the posterior mean rate, if alive throughout. */
export function rateIfAliveForecast(
  params: Pick<BgNbdParams, "r" | "alpha">,
  x: number,
  T: number,
  horizon: number,
): number {
  return (horizon * (params.r + x)) / (params.alpha + T);
}

/** rateIfAliveForecast for every customer. */
export function rateIfAliveColumn(
  params: Pick<BgNbdParams, "r" | "alpha">,
  x: ArrayLike<number>,
  T: ArrayLike<number>,
  horizon: number,
): Float64Array {
  return perCustomer(rateIfAliveForecast, params, x, T, horizon);
}

/**
 * P(at least one purchase in `horizon`) for a customer alive throughout: 1 − ((α+T)/(α+T+h))^(r+x),
 * the zero of the negative binomial the Gamma(r + x, α + T) rate gives. The member's own
 * distribution, so the blend can mix its P(purchase) as it mixes its mean.
 */
export function rateIfAlivePurchaseProbability(
  params: Pick<BgNbdParams, "r" | "alpha">,
  x: number,
  T: number,
  horizon: number,
): number {
  return -Math.expm1(-(params.r + x) * Math.log1p(horizon / (params.alpha + T)));
}

/** rateIfAlivePurchaseProbability for every customer. */
export function rateIfAlivePurchaseColumn(
  params: Pick<BgNbdParams, "r" | "alpha">,
  x: ArrayLike<number>,
  T: ArrayLike<number>,
  horizon: number,
): Float64Array {
  return perCustomer(rateIfAlivePurchaseProbability, params, x, T, horizon);
}

/** One of the scalar forms above, for every customer. */
function perCustomer(
  form: (params: Pick<BgNbdParams, "r" | "alpha">, x: number, T: number, h: number) => number,
  params: Pick<BgNbdParams, "r" | "alpha">,
  x: ArrayLike<number>,
  T: ArrayLike<number>,
  horizon: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = form(params, x[i] ?? 0, T[i] ?? 0, horizon);
  return out;
}
