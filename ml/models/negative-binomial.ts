// The count distribution of the mean-only forecasts (GBDT count, blend): negative binomial with
// mean μ and variance μ + φμ² (φ = 0 is Poisson), with φ fitted by maximum likelihood on
// out-of-fold forecasts, so the spread reflects how far such forecasts actually miss.

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
