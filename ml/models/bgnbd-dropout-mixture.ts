// BG/NBD's conditional-expectation factor by quadrature over the dropout probability p, for where
// its series is long or overflows: a large (nearly one dropout probability for everyone, as when
// a and b are held at the shape limit). Alive at T, p ~ Beta(a, b+x) and λ ~ Gamma(r+x, alpha+T);
// with u = t/(alpha+T), the factor [1 − (1−z)^(r+x) 2F1(r+x, b+x; a+b+x−1; z)]/(a−1) of bgnbd.ts
// (z = u/(1+u)) equals E[1 − (1 + p·u)^−(r+x)]/(a−1) with p ~ Beta(a−1, b+x) (Pfaff's transform).
// Where that Beta is piled against p = 1 instead (b + x small beside a: nearly everyone drops out
// after each purchase), the 2F1 itself is short and is summed as it stands.

import type { BgNbdParams } from "./bgnbd.ts";
import { gaussLegendre } from "./count-pmf.ts";
import { hyp2f1Value } from "./hypergeometric.ts";

const NODES = gaussLegendre(16);
const PANELS = 12;
/** The Beta's mass beyond 15 standard deviations of its mean is below double precision. */
const SPREAD = 15;

/**
 * Where Beta(a−1, b+x) has its mass: the mean ± 15 standard deviations, when that lies inside
 * (0, 1). Null otherwise (a wide Beta, or one piled against 0 or 1): there the density's end
 * points would cost Gauss-Legendre its accuracy, and the series is used.
 */
function massInterval(params: BgNbdParams, x: number): [number, number] | null {
  const shape1 = params.a - 1;
  const shape2 = params.b + x;
  if (!(shape1 > 0 && shape2 > 0)) return null;
  const mean = shape1 / (shape1 + shape2);
  const sd = Math.sqrt((mean * (1 - mean)) / (shape1 + shape2 + 1));
  const lo = mean - SPREAD * sd;
  const hi = mean + SPREAD * sd;
  return lo > 0 && hi < 1 ? [lo, hi] : null;
}

/** The quadrature applies: the dropout probabilities are concentrated inside (0, 1). */
export function bgnbdMixtureApplies(params: BgNbdParams, x: number): boolean {
  return massInterval(params, x) !== null;
}

/**
 * E[1 − (1 + p·u)^−(r+x)]/(a−1), p ~ Beta(a−1, b+x), u = t/(alpha+T): Gauss-Legendre panels over
 * the Beta's mass interval, normalised by the same nodes' sum of the density so the Beta function
 * is never formed. NaN where bgnbdMixtureApplies is false.
 */
export function bgnbdExpectationFactorByQuadrature(params: BgNbdParams, u: number, x: number) {
  const interval = massInterval(params, x);
  if (!interval) return Number.NaN;
  const [lo, hi] = interval;
  const shape1 = params.a - 1;
  const shape2 = params.b + x;
  const k = params.r + x;
  const mean = shape1 / (shape1 + shape2);
  // ln density up to a constant, taken relative to its value at the mean (no overflow at 1e6).
  const logAtMean = (shape1 - 1) * Math.log(mean) + (shape2 - 1) * Math.log1p(-mean);
  const { nodes, weights } = NODES;
  const width = (hi - lo) / PANELS;
  let mass = 0;
  let weighted = 0;
  for (let panel = 0; panel < PANELS; panel++) {
    const mid = lo + (panel + 0.5) * width;
    for (let j = 0; j < nodes.length; j++) {
      const p = mid + (width / 2) * nodes[j]!;
      const logDensity = (shape1 - 1) * Math.log(p) + (shape2 - 1) * Math.log1p(-p) - logAtMean;
      const w = weights[j]! * Math.exp(logDensity);
      mass += w;
      weighted += w * -Math.expm1(-k * Math.log1p(p * u));
    }
  }
  return weighted / mass / shape1;
}

/**
 * [1 − (1−z)^(r+x) 2F1(r+x, b+x; a+b+x−1; z)]/(a−1), z = u/(1+u), by that 2F1's own series: its
 * terms shrink by about (r+x+n)(b+x+n)·z/(a+b+x−1+n) each, so it is short where a is large and
 * b + x is not. NaN where it does not converge.
 */
export function bgnbdExpectationFactorByDirectSeries(params: BgNbdParams, u: number, x: number) {
  const { r, a, b } = params;
  const k = r + x;
  const z = u / (1 + u);
  const log1mz = -Math.log1p(u);
  const tail = hyp2f1Value(k, b + x, a + b + x - 1, z) - 1;
  // 1 − (1−z)^k·(1 + tail), the first part by expm1 so a short horizon keeps its digits.
  return (-Math.expm1(k * log1mz) - Math.exp(k * log1mz) * tail) / (a - 1);
}

/**
 * The factor where a is large (the Euler-form series of bgnbd.ts is long): by quadrature when the
 * Beta's mass lies inside (0, 1), by the direct series when it is piled against p = 1 (there its
 * 1 − (1−z)^(r+x)·2F1 does not cancel; against p = 0 it would). NaN otherwise, or when neither
 * gives a number: the caller sums its own series.
 */
export function bgnbdExpectationFactorForLargeA(params: BgNbdParams, u: number, x: number) {
  // NaN exactly where the quadrature does not apply (its mass interval is found once, inside it).
  const byQuadrature = bgnbdExpectationFactorByQuadrature(params, u, x);
  if (!Number.isNaN(byQuadrature)) return byQuadrature;
  if (params.a - 1 > params.b + x) return bgnbdExpectationFactorByDirectSeries(params, u, x);
  return Number.NaN;
}
