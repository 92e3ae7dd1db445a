// The Pareto/NBD "died in (t_x, T]" term by Gauss-Legendre quadrature, for where its 2F1 series is
// long: |alpha − beta|/(max(alpha, beta) + t) near 1, as when everyone buys (or drops out) at
// nearly one rate and a shape grows towards its limit. The series needs ~1/(1 − z) terms there.

import { gaussLegendre } from "./count-pmf.ts";
import type { ParetoNbdParams } from "./pareto-nbd.ts";

const NODES = gaussLegendre(16);
/**
 * Panels of up to 6 e-folds of the integrand, and at most twice the distance from the panel's
 * start to the integrand's nearest singularity (y = −alpha or −beta): 16 nodes then give ~1e-14
 * (checked against the series and a brute-force integral).
 */
const PANEL_EFOLDS = 6;
const PANEL_REACH = 2;
const MAX_PANELS = 400;
/** A remainder this many e-folds below the sum cannot change it in double precision. */
const NEGLIGIBLE_EFOLDS = 40;

/** Weighted sums of g, g·ln(1+u/ca), g·ln(1+u/cb), g/(ca+u), g/(cb+u) over the panels' nodes. */
interface PanelSums {
  s0: number;
  sLa: number;
  sLb: number;
  sIa: number;
  sIb: number;
}

/**
 * ∫_0^length g(u) du with g(u) = (1 + u/ca)^−A (1 + u/cb)^−B (g(0) = 1, so a shape of 1e6 loses no
 * digits to −A·ln(alpha+y)), and with `gradient` the sums its derivatives need. The log-integrand
 * is convex and decreasing, so panels that start at 0 and widen as its slope flattens keep
 * Gauss-Legendre accurate; the remainder is dropped once it cannot change the sum. Null when the
 * panels run out first (alpha or beta near 0 beside t: the singularity too near).
 */
function panelSums(
  A: number,
  ca: number,
  B: number,
  cb: number,
  length: number,
  gradient: boolean,
): PanelSums | null {
  const sums = { s0: 0, sLa: 0, sLb: 0, sIa: 0, sIb: 0 };
  const { nodes, weights } = NODES;
  let start = 0;
  for (let panel = 0; panel < MAX_PANELS; panel++) {
    const width = Math.min(
      PANEL_EFOLDS / (A / (ca + start) + B / (cb + start)),
      PANEL_REACH * (Math.min(ca, cb) + start),
      length - start,
    );
    const half = width / 2;
    const mid = start + half;
    for (let k = 0; k < nodes.length; k++) {
      const u = mid + half * nodes[k]!;
      const la = Math.log1p(u / ca);
      const lb = Math.log1p(u / cb);
      const wg = weights[k]! * half * Math.exp(-A * la - B * lb);
      sums.s0 += wg;
      if (gradient) {
        sums.sLa += wg * la;
        sums.sLb += wg * lb;
        sums.sIa += wg / (ca + u);
        sums.sIb += wg / (cb + u);
      }
    }
    start += width;
    if (start >= length) return sums;
    // The rest is at most g(end) times the shorter of: what is left of the interval; (cb+end)/(B−1)
    // (bounding the alpha factor by 1); (ca+end)/(A−1) when A > 1 (bounding the beta factor).
    const logEnd = -A * Math.log1p(start / ca) - B * Math.log1p(start / cb);
    const reach = Math.min(
      length - start,
      (cb + start) / (B - 1),
      A > 1 ? (ca + start) / (A - 1) : Number.POSITIVE_INFINITY,
    );
    if (logEnd + Math.log(reach) < Math.log(sums.s0) - NEGLIGIBLE_EFOLDS) return sums;
  }
  return null;
}

/**
 * log ∫_{t_x}^{T} (alpha+y)^−(r+x) (beta+y)^−(s+1) dy: the dropout term of the likelihood, equal to
 * A0 / (r+s+x) of the 2F1 form. −∞ for t_x = T; NaN when the panels run out.
 */
export function logDeathIntegral(
  params: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
): number {
  if (!(tx < T)) return Number.NEGATIVE_INFINITY;
  const A = params.r + x;
  const B = params.s + 1;
  const ca = params.alpha + tx;
  const cb = params.beta + tx;
  const sums = panelSums(A, ca, B, cb, T - tx, false);
  if (!sums) return Number.NaN;
  return -A * Math.log(ca) - B * Math.log(cb) + Math.log(sums.s0);
}

/** ln H(t) and its derivatives in (r, alpha, s, beta), as the fit's series halves give them. */
export interface TailIntegral {
  logH: number;
  dR: number;
  dAlpha: number;
  dS: number;
  dBeta: number;
}

/**
 * H(t) = ∫_t^∞ (alpha+y)^−A (beta+y)^−B dy with A = r+x, B = s+1 (the series' "half": the
 * dropout term is H(t_x) − H(T)), and ∂ln H by differentiating under the integral
 * (∂/∂r: −E ln(alpha+y); ∂/∂alpha: −A·E 1/(alpha+y); likewise s and beta). Null when the panels
 * run out before the remainder is negligible.
 */
export function tailIntegral(
  params: ParetoNbdParams,
  x: number,
  t: number,
  gradient: boolean,
): TailIntegral | null {
  const A = params.r + x;
  const B = params.s + 1;
  const ca = params.alpha + t;
  const cb = params.beta + t;
  const sums = panelSums(A, ca, B, cb, Number.POSITIVE_INFINITY, gradient);
  if (!sums) return null;
  const { s0, sLa, sLb, sIa, sIb } = sums;
  return {
    logH: -A * Math.log(ca) - B * Math.log(cb) + Math.log(s0),
    dR: -Math.log(ca) - sLa / s0,
    dS: -Math.log(cb) - sLb / s0,
    dAlpha: (-A * sIa) / s0,
    dBeta: (-B * sIb) / s0,
  };
}
