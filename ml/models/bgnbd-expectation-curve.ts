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

const MAX_TERMS = 200_000; // a multiple of 8: keepFinite has looked at the sums before the throw

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
    return this.scaleByPAlive(x, bgnbdProbabilityAlive(this.params, x, tx, T), shape, out);
  }

  /** `scale` with the customer's P(alive) already known. */
  scaleByPAlive(x: number, pAlive: number, shape: Float64Array, out: Float64Array): Float64Array {
    const { a, b } = this.params;
    const factor = (a + b + x - 1) * pAlive;
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
   * shape_k = first_k − power_k·S(z_k), i.e. E(t_k)/((a+b+x−1)·P(alive)). The series of every
   * regular t_k advance together, one pass over the coefficients: each adds its own terms in its
   * own order, so its sum is that of the series alone to the bit, while the K dependency chains
   * overlap (a series alone waits on its previous add and multiply every term: 1.6× slower). Each
   * stops at its first term below 1e-17 of its sum once past the terms that may grow or change
   * sign (n > −A), where the ratio of terms tends to z < 1, or at a zero term, or once its sum
   * left double range (looked at every 8th term: coefficients past it, a in the thousands).
   */
  shapeOnGrid(x: number, points: GridPoints, out: Float64Array): Float64Array {
    const count = this.startSeries(x, points, out);
    this.sumSeries(x, points.z, count);
    const { sums, regular } = this.scratch;
    const { first, power } = points;
    for (let j = 0; j < count; j++) {
      const k = regular[j]!;
      const value = first[k]! - power[k]! * sums[k]!;
      // The scalar factor where the series ran past double range.
      out[k] = Number.isFinite(value)
        ? value
        : bgnbdExpectationFactorAtZ(this.params, points.z[k]!, x);
    }
    return out;
  }

  /** Writes the points the series does not sum (t = 0, irregular z); lists the others. */
  private startSeries(x: number, points: GridPoints, out: Float64Array): number {
    const { z } = points;
    const K = z.length;
    if (this.scratch.sums.length < K) this.scratch = seriesScratch(K);
    const { sums, powers, active, regular } = this.scratch;
    let count = 0;
    for (let k = 0; k < K; k++) {
      const zk = z[k]!;
      if (zk === 0) {
        out[k] = 0;
      } else if (zk >= this.regularBelow && irregular(this.params, zk)) {
        // A long series, or one that cancels (r large, a long horizon): the scalar factor, which
        // integrates or sums positive terms there (bgnbd.ts).
        out[k] = bgnbdExpectationFactorAtZ(this.params, zk, x);
      } else {
        sums[k] = 0;
        powers[k] = zk;
        regular[count] = k;
        active[count++] = k;
      }
    }
    return count;
  }

  /** S(z_k) into scratch.sums for the `count` listed points. */
  private sumSeries(x: number, z: Float64Array, count: number): void {
    const { sums, powers, active } = this.scratch;
    let c = this.coefficientsFor(x, 64);
    const settled = this.settledAfter();
    for (let n = 0; count > 0; n++) {
      if (n >= c.length) {
        if (n >= MAX_TERMS) {
          throw new RangeError(
            `t: series did not converge for z = ${z[active[0]!]} (too close to 1)`,
          );
        }
        c = this.coefficientsFor(x, n + 1);
      }
      const cn = c[n]!;
      let kept = 0;
      for (let j = 0; j < count; j++) {
        const k = active[j]!;
        const term = cn * powers[k]!;
        const sum = sums[k]! + term;
        sums[k] = sum;
        if ((n > settled && Math.abs(term) <= 1e-17 * Math.abs(sum)) || term === 0) continue;
        powers[k] = powers[k]! * z[k]!;
        active[kept++] = k;
      }
      count = kept;
      // A sum out of range stays out (∞ + x, NaN + x): looked at every 8th term only.
      if ((n & 7) === 7) count = keepFinite(sums, active, count);
    }
  }

  // Scratch for shapeOnGrid (synchronous, so one set per curve is enough).
  private scratch = seriesScratch(0);

  /** Past this n the terms neither grow nor change sign (n > −A). */
  private settledAfter(): number {
    const { r, a, b } = this.params;
    return Math.max(8, 1 - (a + b - 1 - r));
  }
}

/** The scratch rows of shapeOnGrid for K points. */
function seriesScratch(K: number) {
  return {
    sums: new Float64Array(K),
    powers: new Float64Array(K),
    active: new Int32Array(K),
    regular: new Int32Array(K),
  };
}

/** Drops from `active` the points whose sum left double range; returns how many remain. */
function keepFinite(sums: Float64Array, active: Int32Array, count: number): number {
  let kept = 0;
  for (let j = 0; j < count; j++) {
    const k = active[j]!;
    if (Number.isFinite(sums[k]!)) active[kept++] = k;
  }
  return kept;
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
