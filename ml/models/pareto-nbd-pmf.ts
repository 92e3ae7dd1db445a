// The Pareto/NBD conditional distribution of the number of purchases in (T, T+t] given (x, t_x, T)
// (cf. Fader & Hardie, "Deriving the conditional PMF of the Pareto/NBD model", 2006 note), computed
// as a numerically stable one-dimensional integral instead of the note's 2F1 sums.
//
// Alive at T, the posterior is λ ~ Gamma(r+x, alpha+T) and μ ~ Gamma(s, beta+T), independent. The
// remaining lifetime τ has survival S(y) = E[e^(−μy)] = ((beta+T)/(beta+T+y))^s, and purchases in
// the window are Poisson(λ · min(τ, t)); integrating λ out gives NB(k; r+x, (alpha+T)/(alpha+T+y)):
//   P(X = k | alive) = S(t)·NB_k(t) + ∫_0^t NB_k(y) dF(y),   F = 1 − S.
// The integral is taken over u = S(y) ∈ [S(t), 1] (mass-uniform) by Gauss-Legendre, with
// y(u) = (beta+T)(u^(−1/s) − 1); the integrand is smooth, and 24 nodes agree with 400 to 1e-12.

import { addNegativeBinomial, type CountPmf, gaussLegendre, tailOf } from "./count-pmf.ts";
import { type ParetoNbdParams, paretoNbdProbabilityAlive } from "./pareto-nbd.ts";
import { ModelInputError } from "./types.ts";

const PARETO_PMF_NODES = 24;

/** P(X(t) = k | x, t_x, T) for k = 0..maxCount−1, and the tail P(X ≥ maxCount). */
export function paretoNbdConditionalPmf(
  params: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
  maxCount: number,
  nodes = PARETO_PMF_NODES,
): CountPmf {
  if (!(t >= 0) || !Number.isFinite(t)) {
    throw new ModelInputError("t", `expected a finite number >= 0, got ${t}`);
  }
  const pAlive = paretoNbdProbabilityAlive(params, x, tx, T);
  const K = Math.max(1, Math.floor(maxCount));
  const { r, alpha, s, beta } = params;
  const shape = r + x;
  const aT = alpha + T;
  const bT = beta + T;
  const alive = new Float64Array(K);
  const survivesWindow = Math.exp(-s * Math.log1p(t / bT)); // S(t)
  addNegativeBinomial(alive, survivesWindow, shape, aT / (aT + t));
  if (t > 0 && survivesWindow < 1) {
    const rule = gaussLegendre(nodes);
    const half = (1 - survivesWindow) / 2;
    const mid = (1 + survivesWindow) / 2;
    for (let j = 0; j < rule.nodes.length; j++) {
      const u = mid + half * rule.nodes[j]!;
      const y = bT * Math.expm1(-Math.log(u) / s);
      addNegativeBinomial(alive, half * rule.weights[j]!, shape, aT / (aT + y));
    }
  }
  const pmf = new Float64Array(K);
  for (let k = 0; k < K; k++) pmf[k] = pAlive * alive[k]!;
  pmf[0]! += 1 - pAlive;
  return { pmf, tail: tailOf(pmf) };
}
