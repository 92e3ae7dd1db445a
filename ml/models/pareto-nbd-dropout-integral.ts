// The Pareto/NBD "died in (t_x, T]" term by Gauss-Legendre quadrature, for where its 2F1 series is
// long: |alpha − beta|/(max(alpha, beta) + t) near 1, as when everyone buys (or drops out) at
// nearly one rate and a shape grows towards its limit. The series needs ~1/(1 − z) terms there.

import { gaussLegendre } from "./count-pmf.ts";
import type { ParetoNbdParams } from "./pareto-nbd.ts";
import { logAddExp } from "./special-functions.ts";

const NODES = gaussLegendre(16);
/** Panels at most this many e-folds of the integrand wide: 16 nodes are then exact to ~1e-14. */
const PANEL_EFOLDS = 1;
/**
 * The fit's halves take panels of up to 6 e-folds, and at most twice the distance from the panel's
 * start to the integrand's nearest singularity (y = −alpha or −beta): 16 nodes then give ~1e-14
 * (checked against the series), with a quarter of the panels.
 */
const TAIL_PANEL_EFOLDS = 6;
const TAIL_PANEL_REACH = 2;
const MAX_PANELS = 400;
/** A remainder this many e-folds below the sum cannot change it in double precision. */
const NEGLIGIBLE_EFOLDS = 40;

/**
 * Terms the series Σ (b)_n z^n/(n! (a+n)) takes to 1e-15, roughly: they grow while
 * n < (b z − 1)/(1 − z), then shrink at rate z. Past QUADRATURE_ABOVE, quadrature is cheaper.
 */
export function seriesTermsNeeded(b: number, z: number): number {
  return (b * z + 40) / (1 - z);
}
export const QUADRATURE_ABOVE = 2_000;

/**
 * log ∫_{t_x}^{T} (alpha+y)^−(r+x) (beta+y)^−(s+1) dy: the dropout term of the likelihood, equal to
 * A0 / (r+s+x) of the 2F1 form. The log-integrand is convex and decreasing, so panels that start
 * at t_x and widen as its slope flattens (one e-fold each) keep Gauss-Legendre accurate; the
 * remainder is dropped once it cannot change the sum in double precision. NaN when the panels run
 * out first.
 */
export function logDeathIntegral(
  params: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
): number {
  const a = params.r + x;
  const b = params.s + 1;
  const logG = (y: number) => -a * Math.log(params.alpha + y) - b * Math.log(params.beta + y);
  const slope = (y: number) => a / (params.alpha + y) + b / (params.beta + y);
  const { nodes, weights } = NODES;
  let total = Number.NEGATIVE_INFINITY;
  let start = tx;
  for (let panel = 0; panel < MAX_PANELS && start < T; panel++) {
    const end = Math.min(T, start + PANEL_EFOLDS / slope(start));
    const half = (end - start) / 2;
    const mid = (start + end) / 2;
    let panelLog = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < nodes.length; k++) {
      panelLog = logAddExp(panelLog, Math.log(weights[k]! * half) + logG(mid + half * nodes[k]!));
    }
    total = logAddExp(total, panelLog);
    // What is left is at most (T − end)·g(end): negligible beside the sum so far.
    if (end >= T || Math.log(T - end) + logG(end) < total - NEGLIGIBLE_EFOLDS) return total;
    start = end;
  }
  // Out of panels with a share of the integral left (alpha or beta near 0 beside t): not a value.
  return tx >= T ? Number.NEGATIVE_INFINITY : Number.NaN;
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
 * dropout term is H(t_x) − H(T)), and ∂ln H by differentiating under the integral. The integrand
 * is taken relative to y = t through log1p, so a shape of 1e6 loses no digits to −A·ln(alpha+y).
 * Null when the panels run out before the remainder is negligible.
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
  // Sums of w·g, w·g·ln(1+u/ca), w·g·ln(1+u/cb), w·g/(ca+u), w·g/(cb+u) with g(0) = 1.
  let s0 = 0;
  let sLa = 0;
  let sLb = 0;
  let sIa = 0;
  let sIb = 0;
  const { nodes, weights } = NODES;
  let start = 0;
  for (let panel = 0; panel < MAX_PANELS; panel++) {
    const width = Math.min(
      TAIL_PANEL_EFOLDS / (A / (ca + start) + B / (cb + start)),
      TAIL_PANEL_REACH * (Math.min(ca, cb) + start),
    );
    const half = width / 2;
    const mid = start + half;
    for (let k = 0; k < nodes.length; k++) {
      const u = mid + half * nodes[k]!;
      const la = Math.log1p(u / ca);
      const lb = Math.log1p(u / cb);
      const wg = weights[k]! * half * Math.exp(-A * la - B * lb);
      s0 += wg;
      if (gradient) {
        sLa += wg * la;
        sLb += wg * lb;
        sIa += wg / (ca + u);
        sIb += wg / (cb + u);
      }
    }
    start += width;
    // The rest is at most g(end)·(cb+end)/(B−1) (bounding the alpha factor by 1), and also
    // g(end)·(ca+end)/(A−1) when A > 1 (bounding the beta factor): whichever is smaller.
    const logEnd = -A * Math.log1p(start / ca) - B * Math.log1p(start / cb);
    const reach = Math.min((cb + start) / (B - 1), A > 1 ? (ca + start) / (A - 1) : Infinity);
    if (logEnd + Math.log(reach) < Math.log(s0) - NEGLIGIBLE_EFOLDS) {
      return {
        logH: -A * Math.log(ca) - B * Math.log(cb) + Math.log(s0),
        dR: -Math.log(ca) - sLa / s0,
        dS: -Math.log(cb) - sLb / s0,
        dAlpha: (-A * sIa) / s0,
        dBeta: (-B * sIb) / s0,
      };
    }
  }
  return null;
}
