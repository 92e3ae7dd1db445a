// BG/NBD's conditional expectation summed over purchase opportunities, for where the Euler-form
// series of bgnbd.ts cancels: r large beside a + b (nearly one purchase rate for everyone) and a
// horizon long enough for many purchases. Alive at T, purchases in the window are X = min(N, D)
// (as in bgnbd-pmf.ts): N ~ NB(r+x, 1/(1+u)) purchase opportunities, u = t/(alpha+T), and D the
// purchase after which the customer drops out, P(D ≥ i) = E[(1−p)^(i−1)], p ~ Beta(a, b+x). So
//   E[X | alive] = Σ_{j≥1} P(N = j) · Σ_{i≤j} P(D ≥ i),
// a sum of positive terms: no cancellation, whatever r, a or b.

import type { BgNbdParams } from "./bgnbd.ts";

/** Terms summed at most (the opportunities' distribution must end before this). */
export const OPPORTUNITY_SUM_MAX_TERMS = 1_000_000;
/** The running values are divided by this when they grow past it (a large r+x: P(N = 0) underflows). */
const RESCALE = 1e250;
const LOG_RESCALE = Math.log(RESCALE);

/**
 * The Euler-form series Σ (A)_n (a)_{n−1} z^n / ((C)_n n!), A = a+b−1−r, alternates while n < −A
 * and its terms grow to about e^(−A·z) before they shrink: beyond e^4 (r·z ≳ 4 with r ≫ a+b) its
 * rounding shows in the sum's 13th digit, and at e^40 it swamps it (r = 141, 4 years: 806
 * purchases forecast where 14.7 are expected).
 */
export function eulerSeriesCancels(params: BgNbdParams, z: number): boolean {
  return -(params.a + params.b - 1 - params.r) * z > 4;
}

/**
 * E[X(t) | alive, x]/(a+b+x−1), the factor bgnbd.ts multiplies by (a+b+x−1)·P(alive), for
 * u = t/(alpha+T). NaN when the opportunities' distribution runs past the term limit.
 */
export function bgnbdExpectationFactorBySum(params: BgNbdParams, u: number, x: number): number {
  const { r, a, b } = params;
  const k = r + x;
  const bx = b + x;
  const z = u / (1 + u);
  // P(N = j) = P(N = j−1)·(k+j−1)/j·z falls from its mode (k−1)·u on.
  const mode = (k - 1) * u;
  if (!(mode < OPPORTUNITY_SUM_MAX_TERMS)) return Number.NaN;
  let logScale = -k * Math.log1p(u); // ln P(N = 0): the scaled values below are × e^logScale
  let opportunities = 1;
  let survives = 1; // P(D ≥ j)
  let reached = 0; // Σ_{i≤j} P(D ≥ i) = E[min(j, D)]
  let sum = 0;
  for (let j = 1; j <= OPPORTUNITY_SUM_MAX_TERMS; j++) {
    opportunities *= ((k + j - 1) / j) * z;
    if (j > 1) survives *= (bx + j - 2) / (a + bx + j - 2);
    reached += survives;
    const term = opportunities * reached;
    sum += term;
    if (opportunities > RESCALE) {
      opportunities /= RESCALE;
      sum /= RESCALE;
      logScale += LOG_RESCALE;
    }
    if ((j > mode && term <= 1e-17 * sum) || term === 0) {
      return (sum * Math.exp(logScale)) / (a + b + x - 1);
    }
  }
  return Number.NaN;
}
