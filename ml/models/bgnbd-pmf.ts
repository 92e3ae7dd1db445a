// The BG/NBD conditional distribution of the number of purchases in (T, T+t] given a customer's
// history (x, t_x, T): Fader, Hardie & Lee, "Deriving the conditional PMF of the BG/NBD model"
// (2006 note), in the form that follows from the posterior given "alive at T".
//
// Alive at T, the posterior is λ ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), independent. Let N be
// the Poisson count of purchase opportunities in the window (NB(r+x, q), q = (alpha+T)/(alpha+T+t))
// and D the purchase after which the customer drops out (P(D ≥ k) = (1−p)^(k−1)). Then X = min(N, D):
//   P(X = 0 | alive) = NB_0,
//   P(X = k | alive) = NB_k · E[(1−p)^(k−1)] + P(N > k) · E[p (1−p)^(k−1)],   k ≥ 1,
// with E[(1−p)^j] = B(a, b+x+j)/B(a, b+x) and E[p(1−p)^j] = that × a/(a+b+x+j); and
// P(X = k) = (1 − P(alive))·[k = 0] + P(alive) · P(X = k | alive).

import { type BgNbdParams, bgnbdProbabilityAlive } from "./bgnbd.ts";
import { type CountPmf, negativeBinomialPmf, tailOf } from "./count-pmf.ts";
import { ModelInputError } from "./types.ts";

/** P(X(t) = k | x, t_x, T) for k = 0..maxCount−1, and the tail P(X ≥ maxCount). */
export function bgnbdConditionalPmf(
  params: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
  maxCount: number,
  scratch?: Float64Array,
): CountPmf {
  if (!(t >= 0) || !Number.isFinite(t)) {
    throw new ModelInputError("t", `expected a finite number >= 0, got ${t}`);
  }
  const pAlive = bgnbdProbabilityAlive(params, x, tx, T);
  const K = Math.max(1, Math.floor(maxCount));
  const { r, alpha, a, b } = params;
  const nb = negativeBinomialPmf(
    scratch && scratch.length === K ? scratch : new Float64Array(K),
    r + x,
    (alpha + T) / (alpha + T + t),
  );
  const pmf = new Float64Array(K);
  let nbCdf = nb[0]!;
  pmf[0] = 1 - pAlive + pAlive * nb[0]!;
  let survive = 1; // E[(1−p)^(k−1)]
  for (let k = 1; k < K; k++) {
    if (k > 1) survive *= (b + x + k - 2) / (a + b + x + k - 2);
    const dropAt = (survive * a) / (a + b + x + k - 1); // E[p (1−p)^(k−1)]
    nbCdf += nb[k]!;
    const beyond = Math.max(0, 1 - nbCdf); // P(N > k)
    pmf[k] = pAlive * (nb[k]! * survive + beyond * dropAt);
  }
  return { pmf, tail: tailOf(pmf) };
}
