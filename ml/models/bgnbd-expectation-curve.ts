// BG/NBD conditional expectations E[X(t) | x, t_x, T] at many t for one customer, for CLV's
// discounting grid. Same formula as bgnbd.ts (FHL 2005 eq. 10 after Euler's transform):
//   E(t) = (a+b+x−1) · P(alive) · [(1 − (1−z')^(a−1))/(a−1) − (1−z')^(a−1) · S(z)],
//   S(z) = Σ_{n≥1} c_n z^n,  c_1 = A/C,  c_{n+1} = c_n (A+n)(a+n−1)/((C+n)(n+1)),
// with A = a+b−1−r, C = a+b+x−1, z = t/(alpha+T+t) and 1−z' = (alpha+T)/(alpha+T+t). The
// coefficients depend on x only, so they are computed once per x and reused for every t and every
// customer with that x (the scalar function recomputes them per call: 40× slower for a CLV).
// For a batch the work splits further: the per-time terms (z, (1−z')^(a−1) and the first
// bracket) depend on T only (`gridPoints`), the series on (x, T) (`shapeOnGrid`), and only the
// factor (a+b+x−1)·P(alive) on t_x, so customers sharing a T or an (x, T) share that work.

import { type BgNbdParams, bgnbdExpectationFactorAtZ, bgnbdProbabilityAlive } from "./bgnbd.ts";
import { eulerSeriesCancels } from "./bgnbd-opportunity-sum.ts";
import { seriesIsLong } from "./hypergeometric.ts";
import { oneMinusPowerOverExponent } from "./special-functions.ts";

const MAX_TERMS = 200_000; // a multiple of 8: seriesDone has looked at the sum before the throw

/** The per-time terms of E(t) for one T at the times t_k: they do not depend on x or t_x. */
export interface GridPoints {
  /** z_k = t_k/(alpha+T+t_k). */
  z: Float64Array;
  /** (1 − (1−z')^(a−1))/(a−1). */
  first: Float64Array;
  /** (1−z')^(a−1). */
  power: Float64Array;
}

export class BgNbdExpectationCurve {
  private readonly coefficients = new Map<number, Float64Array>();

  /** Below this z a series is neither long nor cancelling (see `regularBelow`). */
  private readonly regularBelow: number;

  constructor(readonly params: BgNbdParams) {
    this.regularBelow = regularBelow(params);
  }

  /** c_1..c_k for x, grown on demand (index 0 holds c_1). */
  private coefficientsFor(x: number, needed: number): Float64Array {
    let c = this.coefficients.get(x);
    if (c && c.length >= needed) return c;
    const size = Math.min(MAX_TERMS, Math.max(needed, 64, c ? c.length * 2 : 0));
    const { r, a, b } = this.params;
    const A = a + b - 1 - r;
    const C = a + b + x - 1;
    const grown = new Float64Array(size);
    grown[0] = A / C;
    for (let n = 1; n < size; n++) {
      grown[n] = (grown[n - 1]! * (A + n) * (a + n - 1)) / ((C + n) * (n + 1));
    }
    c = grown;
    if (this.coefficients.size > 4096) this.coefficients.clear();
    this.coefficients.set(x, c);
    return c;
  }

  /** E(t) for each t of `ts` (ascending not required); writes into `out`. */
  expectations(
    x: number,
    tx: number,
    T: number,
    ts: ArrayLike<number>,
    out: Float64Array,
  ): Float64Array {
    const points = this.gridPoints(T, ts);
    this.shapeOnGrid(x, points, out);
    return this.scale(x, tx, T, out, out);
  }

  /** out_k = (a+b+x−1)·P(alive)·shape_k: E(t_k) from the shape of its (x, T). */
  scale(x: number, tx: number, T: number, shape: Float64Array, out: Float64Array): Float64Array {
    const { a, b } = this.params;
    const factor = (a + b + x - 1) * bgnbdProbabilityAlive(this.params, x, tx, T);
    for (let k = 0; k < shape.length; k++) out[k] = factor * shape[k]!;
    return out;
  }

  /** The per-time terms for T at the times `ts` (t = 0 gives z = 0 and a zero shape). */
  gridPoints(
    T: number,
    ts: ArrayLike<number>,
    into: GridPoints = {
      z: new Float64Array(ts.length),
      first: new Float64Array(ts.length),
      power: new Float64Array(ts.length),
    },
  ): GridPoints {
    const { alpha, a } = this.params;
    for (let k = 0; k < ts.length; k++) {
      const t = ts[k]!;
      if (t === 0) {
        into.z[k] = 0;
        into.first[k] = 0;
        into.power[k] = 0;
        continue;
      }
      const log1mz = -Math.log1p(t / (alpha + T));
      into.z[k] = t / (alpha + T + t);
      into.first[k] = oneMinusPowerOverExponent(log1mz, a - 1);
      into.power[k] = Math.exp((a - 1) * log1mz);
    }
    return into;
  }

  /**
   * shape_k = first_k − power_k·S(z_k), i.e. E(t_k)/((a+b+x−1)·P(alive)). Each t_k's series
   * stops at its first term below 1e-17 of its sum once past the terms that may grow or change
   * sign (n > −A), where the ratio of terms tends to z < 1, or at a zero term. Two series are
   * summed together (`seriesPair`): each adds its own terms in its own order, so the sums are
   * those of one series at a time to the bit, and the two dependency chains overlap (a series
   * alone waits on its previous add and multiply every term: 1.6× slower).
   */
  shapeOnGrid(x: number, points: GridPoints, out: Float64Array): Float64Array {
    const { z } = points;
    let pending = -1; // a regular t_k waiting for a partner
    for (let k = 0; k < z.length; k++) {
      const zk = z[k]!;
      if (zk === 0) {
        out[k] = 0;
      } else if (zk >= this.regularBelow && irregular(this.params, zk)) {
        // A long series, or one that cancels (r large, a long horizon): the scalar factor, which
        // integrates or sums positive terms there (bgnbd.ts).
        out[k] = bgnbdExpectationFactorAtZ(this.params, zk, x);
      } else if (pending < 0) {
        pending = k;
      } else {
        this.seriesPair(x, z[pending]!, zk);
        this.settle(x, points, pending, this.pairSums[0]!, out);
        this.settle(x, points, k, this.pairSums[1]!, out);
        pending = -1;
      }
    }
    if (pending >= 0)
      this.settle(x, points, pending, this.series(x, z[pending]!, 0, 0, z[pending]!), out);
    return out;
  }

  /** out_k from S(z_k); the scalar factor where the series ran past double range. */
  private settle(x: number, points: GridPoints, k: number, sum: number, out: Float64Array): void {
    const value = points.first[k]! - points.power[k]! * sum;
    out[k] = Number.isFinite(value)
      ? value
      : bgnbdExpectationFactorAtZ(this.params, points.z[k]!, x);
  }

  private readonly pairSums = new Float64Array(2);

  /** S(z0) and S(z1) into pairSums, terms interleaved; the longer one finishes alone. */
  private seriesPair(x: number, z0: number, z1: number): void {
    const c = this.coefficientsFor(x, 64);
    const settled = this.settledAfter();
    let sum0 = 0;
    let sum1 = 0;
    let zn0 = z0;
    let zn1 = z1;
    for (let n = 0; n < c.length; n++) {
      const term0 = c[n]! * zn0;
      const term1 = c[n]! * zn1;
      sum0 += term0;
      sum1 += term1;
      const done0 = seriesDone(n, settled, term0, sum0);
      const done1 = seriesDone(n, settled, term1, sum1);
      if (done0 || done1) {
        this.pairSums[0] = done0 ? sum0 : this.series(x, z0, n + 1, sum0, zn0 * z0);
        this.pairSums[1] = done1 ? sum1 : this.series(x, z1, n + 1, sum1, zn1 * z1);
        return;
      }
      zn0 *= z0;
      zn1 *= z1;
    }
    this.pairSums[0] = this.series(x, z0, c.length, sum0, zn0);
    this.pairSums[1] = this.series(x, z1, c.length, sum1, zn1);
  }

  /** S(z) from term n on, given the sum of the terms before it and zn = z^(n+1). */
  private series(x: number, zk: number, from: number, before: number, znFrom: number): number {
    let c = this.coefficientsFor(x, 64);
    const settled = this.settledAfter();
    let sum = before;
    let zn = znFrom;
    for (let n = from; ; n++) {
      if (n >= c.length) {
        if (n >= MAX_TERMS) {
          throw new RangeError(`t: series did not converge for z = ${zk} (too close to 1)`);
        }
        c = this.coefficientsFor(x, n + 1);
      }
      const term = c[n]! * zn;
      sum += term;
      if (seriesDone(n, settled, term, sum)) return sum;
      zn *= zk;
    }
  }

  /** Past this n the terms neither grow nor change sign (n > −A). */
  private settledAfter(): number {
    const { r, a, b } = this.params;
    return Math.max(8, 1 - (a + b - 1 - r));
  }
}

/**
 * A series ends at its first term below 1e-17 of its sum once settled, at a zero term, or once
 * the sum left double range (coefficients past it, a in the thousands: the scalar factor then).
 * A sum out of range stays out (∞ + x, NaN + x), so that is looked at every 8th term only (each
 * term: 15% of the grid's time), which ends such a series as before, with the same fallback.
 */
function seriesDone(n: number, settled: number, term: number, sum: number): boolean {
  if ((n > settled && Math.abs(term) <= 1e-17 * Math.abs(sum)) || term === 0) return true;
  return (n & 7) === 7 && !Number.isFinite(sum);
}

/** A series the grid does not sum: a long one, or one that cancels. */
function irregular(params: BgNbdParams, z: number): boolean {
  return seriesIsLong(params.a, z) || eulerSeriesCancels(params, z);
}

/**
 * The z below which `irregular` is false, found once per curve: with a > 0 it is false up to
 * some z and true from there on (both of its tests grow with z), so a bisection finds that z.
 * The margin keeps points near it on the exact test, so every point takes the path the test
 * gives it; the test's log1p at each of a grid's points was a quarter of the series' time.
 */
function regularBelow(params: BgNbdParams): number {
  if (!(params.a > 0) || irregular(params, 0)) return 0;
  let lo = 0;
  let hi = 1; // irregular: the series does not converge at z = 1
  for (let i = 0; i < 64; i++) {
    const mid = (lo + hi) / 2;
    if (irregular(params, mid)) hi = mid;
    else lo = mid;
  }
  return lo * (1 - 1e-9);
}
