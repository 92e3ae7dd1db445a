// Shared pieces of the conditional count distributions: the negative binomial that a Gamma-mixed
// Poisson gives, Gauss-Legendre nodes for the Pareto/NBD lifetime integral, and the PMF type.

/** P(X = k) for k = 0..K−1 in `pmf`; `tail` = P(X ≥ K) (1 − the sum, never below 0). */
export interface CountPmf {
  pmf: Float64Array;
  tail: number;
}

/**
 * Adds `weight` × NB(k; shape, q) for k = 0..K−1 into `out` and returns the NB's own mass on
 * 0..K−1: the count of a Poisson process over a window of length t when its rate is
 * Gamma(shape, rate), q = rate/(rate + t). Computed in logs, so large shapes do not underflow.
 */
export function addNegativeBinomial(
  out: Float64Array,
  weight: number,
  shape: number,
  q: number,
): number {
  const oneMinusQ = 1 - q;
  const logP0 = shape * Math.log(q);
  const mode = oneMinusQ > 0 ? ((shape - 1) * oneMinusQ) / q : 0;
  let mass = 0;
  if (logP0 > -700) {
    // Multiplicative recurrence: no logarithms, stops once past the mode and negligible.
    let p = Math.exp(logP0);
    for (let k = 0; k < out.length; k++) {
      if (k > 0) p *= ((shape + k - 1) / k) * oneMinusQ;
      mass += p;
      out[k]! += weight * p;
      if (k > mode && p < 1e-18 * mass) break;
    }
    return mass;
  }
  const log1mq = Math.log1p(-q);
  let logP = logP0;
  for (let k = 0; k < out.length; k++) {
    if (k > 0) logP += Math.log((shape + k - 1) / k) + log1mq;
    const p = Math.exp(logP);
    mass += p;
    out[k]! += weight * p;
    if (k > mode && p < 1e-18 * mass) break;
  }
  return mass;
}

/** Fills `out[k]` with NB(k; shape, q) for k = 0..K−1 (see addNegativeBinomial). */
export function negativeBinomialPmf(out: Float64Array, shape: number, q: number): Float64Array {
  out.fill(0);
  addNegativeBinomial(out, 1, shape, q);
  return out;
}

/** Total mass left beyond the PMF's support, clamped to [0, 1] against rounding. */
export function tailOf(pmf: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < pmf.length; k++) sum += pmf[k]!;
  return Math.min(1, Math.max(0, 1 - sum));
}

const legendreCache = new Map<number, { nodes: Float64Array; weights: Float64Array }>();

/** Gauss-Legendre nodes and weights on [−1, 1] (Newton on the Legendre recurrence), cached. */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const cached = legendreCache.get(n);
  if (cached) return cached;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = z;
      for (let j = 2; j <= n; j++) {
        const p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    nodes[i] = z;
    weights[i] = 2 / ((1 - z * z) * dp * dp);
  }
  const rule = { nodes, weights };
  legendreCache.set(n, rule);
  return rule;
}
