// The count distribution of the mean-only forecasts (GBDT count, blend): negative binomial with
// mean μ and variance μ + φμ² (φ = 0 is Poisson), with φ fitted by maximum likelihood on
// out-of-fold forecasts, so the spread reflects how far such forecasts actually miss. Served with
// the model's own P(purchase) as a hurdle (hurdleNegativeBinomialPmf), so that P(X = 0) is 1 − it.

import { addNegativeBinomial, type CountPmf, tailOf } from "./count-pmf.ts";
import { gammaln } from "./special-functions.ts";

/** P(X = 0) for mean μ and dispersion φ: (1 + φμ)^(−1/φ), e^(−μ) when φ is 0 (Poisson). */
export function negativeBinomialZero(mean: number, dispersion: number): number {
  return dispersion > 1e-9 ? (1 + dispersion * mean) ** (-1 / dispersion) : Math.exp(-mean);
}

/** P(X = k), k = 0..maxCount−1, for mean μ and dispersion φ (Poisson when φ is 0). */
export function negativeBinomialMeanPmf(
  mean: number,
  dispersion: number,
  maxCount: number,
): CountPmf {
  const pmf = new Float64Array(Math.max(1, Math.floor(maxCount)));
  const mu = Math.max(0, mean);
  if (dispersion > 1e-9) {
    const shape = 1 / dispersion;
    addNegativeBinomial(pmf, 1, shape, shape / (shape + mu));
  } else if (mu <= 700) {
    let p = Math.exp(-mu);
    for (let k = 0; k < pmf.length; k++) {
      if (k > 0) p *= mu / k;
      pmf[k] = p;
    }
  } else {
    // In logs: e^(−μ) underflows past μ ≈ 745, and the recurrence would give a PMF of zeros (an
    // interval starting beyond its support, at 1.5μ).
    let logP = -mu;
    for (let k = 0; k < pmf.length; k++) {
      if (k > 0) logP += Math.log(mu / k);
      pmf[k] = Math.exp(logP);
    }
  }
  return { pmf, tail: tailOf(pmf) };
}

/** 1 − P(X = 0) of the NB with mean μ and dispersion φ, accurate for small μ. */
function negativeBinomialNonZero(mean: number, dispersion: number): number {
  return dispersion > 1e-9
    ? -Math.expm1(-Math.log1p(dispersion * mean) / dispersion)
    : -Math.expm1(-mean);
}

/**
 * The mean μ of the NB (dispersion φ) whose zero-truncated form has mean m: the root of
 * μ / (1 − P(0; μ)) = m, which rises from 1 (μ → 0) without bound, so for m > 1 the root is in
 * (0, m]; bisection, to 1e-13 of the root (or 2^−80 of m). 0 when m ≤ 1 (the truncated mean is
 * never below 1).
 */
export function meanForTruncatedMean(truncatedMean: number, dispersion: number): number {
  if (!(truncatedMean > 1)) return 0;
  let lo = 0;
  let hi = truncatedMean;
  for (let it = 0; it < 80; it++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi || hi - lo <= 1e-13 * hi) break;
    if (mid / negativeBinomialNonZero(mid, dispersion) < truncatedMean) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The hurdle count distribution with P(X = 0) = 1 − p and, given X ≥ 1, the zero-truncated NB of
 * dispersion φ whose mean makes E[X] = `mean` (k = 0..maxCount−1). A count's mean is at least its
 * P(X ≥ 1): where `mean` < p (two separately trained models disagreeing), X given X ≥ 1 is 1, so
 * P(0) stays 1 − p and E[X] is p.
 */
export function hurdleNegativeBinomialPmf(
  pPurchase: number,
  mean: number,
  dispersion: number,
  maxCount: number,
): CountPmf {
  const p = Math.min(1, Math.max(0, pPurchase));
  const K = Math.max(2, Math.floor(maxCount));
  const mu = p > 0 ? meanForTruncatedMean(Math.max(0, mean) / p, dispersion) : 0;
  if (!(mu > 0)) {
    const pmf = new Float64Array(K);
    pmf[0] = 1 - p;
    pmf[1] = p;
    return { pmf, tail: 0 };
  }
  const { pmf } = negativeBinomialMeanPmf(mu, dispersion, K);
  const scale = p / negativeBinomialNonZero(mu, dispersion);
  pmf[0] = 1 - p;
  for (let k = 1; k < K; k++) pmf[k]! *= scale;
  return { pmf, tail: tailOf(pmf) };
}

/** Summed NB log-likelihood of counts y at means μ for dispersion φ > 0 (Poisson at φ = 0). */
export function negativeBinomialLogLikelihood(
  actual: ArrayLike<number>,
  mean: ArrayLike<number>,
  dispersion: number,
): number {
  let ll = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i]!;
    const mu = Math.max(mean[i]!, 1e-12);
    if (dispersion <= 1e-9) {
      ll += y * Math.log(mu) - mu - gammaln(y + 1);
      continue;
    }
    const shape = 1 / dispersion;
    ll +=
      gammaln(y + shape) -
      gammaln(shape) -
      gammaln(y + 1) +
      shape * Math.log(shape / (shape + mu)) +
      y * Math.log(mu / (shape + mu));
  }
  return ll;
}

/** Maximum-likelihood φ ∈ [0, 100] by golden-section search on log φ (0 if Poisson is best). */
export function fitDispersion(actual: ArrayLike<number>, mean: ArrayLike<number>): number {
  const f = (logPhi: number) => -negativeBinomialLogLikelihood(actual, mean, Math.exp(logPhi));
  let lo = Math.log(1e-6);
  let hi = Math.log(100);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let c = hi - ratio * (hi - lo);
  let d = lo + ratio * (hi - lo);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 80 && hi - lo > 1e-4; it++) {
    if (fc < fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - ratio * (hi - lo);
      fc = f(c);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + ratio * (hi - lo);
      fd = f(d);
    }
  }
  const phi = Math.exp((lo + hi) / 2);
  return -negativeBinomialLogLikelihood(actual, mean, 0) <= f(Math.log(phi)) ? 0 : phi;
}
