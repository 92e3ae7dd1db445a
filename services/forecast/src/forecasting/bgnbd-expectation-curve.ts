// BG/NBD conditional expectations E[X(t) | x, t_x, T] at many t for one customer, for CLV's
// discounting grid. Same formula as ml/models/bgnbd.ts (FHL 2005 eq. 10 after Euler's transform):
//   E(t) = (a+b+x−1) · P(alive) · [(1 − (1−z')^(a−1))/(a−1) − (1−z')^(a−1) · S(z)],
//   S(z) = Σ_{n≥1} c_n z^n,  c_1 = A/C,  c_{n+1} = c_n (A+n)(a+n−1)/((C+n)(n+1)),
// with A = a+b−1−r, C = a+b+x−1, z = t/(alpha+T+t) and 1−z' = (alpha+T)/(alpha+T+t). The
// coefficients depend on x only, so they are computed once per x and reused for every t and every
// customer with that x (the scalar function recomputes them per call: 40× slower for a CLV).

import { type BgNbdParams, bgnbdProbabilityAlive } from "@pp/ml/models/bgnbd.ts";
import { oneMinusPowerOverExponent } from "@pp/ml/models/special-functions.ts";

const MAX_TERMS = 200_000;

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
      grown[n] = ((grown[n - 1] as number) * (A + n) * (a + n - 1)) / ((C + n) * (n + 1));
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
    const { alpha, a, b } = this.params;
    const pAlive = bgnbdProbabilityAlive(this.params, x, tx, T);
    const scale = (a + b + x - 1) * pAlive;
    for (let k = 0; k < ts.length; k++) {
      const t = ts[k] as number;
      if (t === 0) {
        out[k] = 0;
        continue;
      }
      const log1mz = -Math.log1p(t / (alpha + T));
      const z = t / (alpha + T + t);
      out[k] =
        scale *
        (oneMinusPowerOverExponent(log1mz, a - 1) - Math.exp((a - 1) * log1mz) * this.series(x, z));
    }
    return out;
  }

  /** S(z), summed until the terms no longer change the sum. */
  private series(x: number, z: number): number {
    let c = this.coefficientsFor(x, 64);
    const { r, a, b } = this.params;
    // Terms may grow or change sign until n passes −A (as in ml/models/bgnbd.ts).
    const settled = Math.max(8, 1 - (a + b - 1 - r));
    let power = z;
    let sum = 0;
    for (let n = 0; n < MAX_TERMS; n++) {
      if (n >= c.length) c = this.coefficientsFor(x, n + 1);
      const term = (c[n] as number) * power;
      sum += term;
      // Past the first terms the ratio of terms tends to z < 1: a term this small ends the sum.
      if (n > settled && Math.abs(term) <= 1e-17 * Math.abs(sum)) return sum;
      if (term === 0) return sum;
      power *= z;
    }
    throw new RangeError(`t: series did not converge for z = ${z} (too close to 1)`);
  }
}
