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

const MAX_TERMS = 200_000;

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

  constructor(readonly params: BgNbdParams) {}

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
   * sign (n > −A), where the ratio of terms tends to z < 1, or at a zero term. One series at a
   * time (its sum and power stay in registers); the terms and their order are those of a pass
   * over all t_k together, so the sums are the same to the bit.
   */
  shapeOnGrid(x: number, points: GridPoints, out: Float64Array): Float64Array {
    const { z, first, power } = points;
    const K = z.length;
    let c = this.coefficientsFor(x, 64);
    const { r, a, b } = this.params;
    const settled = Math.max(8, 1 - (a + b - 1 - r));
    for (let k = 0; k < K; k++) {
      const zk = z[k]!;
      if (zk === 0) {
        out[k] = 0;
        continue;
      }
      // A long series, or one that cancels (r large, a long horizon): the scalar factor, which
      // integrates or sums positive terms there (bgnbd.ts).
      if (seriesIsLong(a, zk) || eulerSeriesCancels(this.params, zk)) {
        out[k] = bgnbdExpectationFactorAtZ(this.params, zk, x);
        continue;
      }
      let sum = 0;
      let zn = zk;
      for (let n = 0; ; n++) {
        if (n >= c.length) {
          if (n >= MAX_TERMS) {
            throw new RangeError(`t: series did not converge for z = ${zk} (too close to 1)`);
          }
          c = this.coefficientsFor(x, n + 1);
        }
        const term = c[n]! * zn;
        sum += term;
        // Coefficients past double range (a in the thousands): the scalar series, below.
        if (!Number.isFinite(sum)) break;
        if ((n > settled && Math.abs(term) <= 1e-17 * Math.abs(sum)) || term === 0) break;
        zn *= zk;
      }
      out[k] = first[k]! - power[k]! * sum;
      if (!Number.isFinite(out[k]!)) out[k] = bgnbdExpectationFactorAtZ(this.params, zk, x);
    }
    return out;
  }
}
