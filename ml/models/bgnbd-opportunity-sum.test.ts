// BG/NBD's expectation where its Euler-form series cancels (r large beside a + b, a long horizon):
// the sum over purchase opportunities against the 2F1 summed in its own form (positive terms), a
// simulation, the Euler series where that one is sound, the PMF's mean and the CLV grid's curve.
import { expect, test } from "bun:test";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleBeta, sampleExponential, sampleGamma } from "../sim/samplers.ts";
import {
  type BgNbdParams,
  bgnbdExpectationFactorAtZ,
  bgnbdExpectedPurchases,
  bgnbdProbabilityAlive,
} from "./bgnbd.ts";
import { BgNbdExpectationCurve } from "./bgnbd-expectation-curve.ts";
import {
  bgnbdExpectationFactorBySum,
  eulerSeriesCancels,
  OPPORTUNITY_SUM_MAX_TERMS,
} from "./bgnbd-opportunity-sum.ts";
import { bgnbdConditionalPmf } from "./bgnbd-pmf.ts";
import { ModelInputError } from "./types.ts";

/**
 * E[X(t) | x, t_x, T] from FHL 2005 eq. 10 as written: (a+b+x−1)/(a−1) · [1 − (1−z)^(r+x) ·
 * 2F1(r+x, b+x; a+b+x−1; z)] · P(alive). Every term of this 2F1 is positive, so its sum is exact
 * to rounding; the terms are summed relative to the largest (in logs), so nothing overflows.
 */
function reference(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const k = r + x;
  const c = a + b + x - 1;
  const z = t / (alpha + T + t);
  // Σ_n term_n as e^top · sum, top the largest log-term so far (the sum rescaled when it moves).
  let logTerm = 0;
  let top = 0;
  let sum = 1;
  for (let n = 0; n < 10_000_000 && logTerm > top - 40; n++) {
    logTerm += Math.log(((k + n) * (b + x + n) * z) / ((c + n) * (n + 1)));
    if (logTerm > top) {
      sum *= Math.exp(top - logTerm);
      top = logTerm;
    }
    sum += Math.exp(logTerm - top);
  }
  const F = Math.exp(k * Math.log1p(-z) + top + Math.log(sum));
  return ((c * (1 - F)) / (a - 1)) * bgnbdProbabilityAlive(params, x, tx, T);
}

// A population with nearly one purchase rate (r = 100: the rate's coefficient of variation is
// 10%), and the fit of `ml simulate --params r=100,alpha=200` (3,000 customers, weeks).
const steady: BgNbdParams = { r: 100, alpha: 100, a: 0.8, b: 2.4 };
const fitted: BgNbdParams = { r: 141.72, alpha: 294.64, a: 0.7795, b: 2.2851 };

test("r large: long-horizon forecasts equal eq. 10 summed in its positive form (were 979 for 18.7)", () => {
  // Before: the Euler series alternated with terms up to e^(r·z) and cancelled; at 5 years a new
  // customer of `fitted` was forecast 806.8 purchases, and `steady` 979 at 261 weeks.
  for (const params of [steady, fitted, { r: 1e6, alpha: 5e6, a: 0.8, b: 2.4 }]) {
    for (const [x, tx, T] of [
      [0, 0, 0],
      [0, 0, 1],
      [3, 10, 12],
      [40, 30, 31],
    ] as const) {
      for (const t of [52, 156, 208, 261, 1826 / 7]) {
        const got = bgnbdExpectedPurchases(params, t, x, tx, T);
        const want = reference(params, t, x, tx, T);
        expect(Math.abs(got / want - 1)).toBeLessThan(1e-10);
      }
    }
  }
  expect(bgnbdExpectedPurchases(steady, 261, 0, 0, 0)).toBeCloseTo(18.7006, 3);
});

test("r large: a new customer's forecast matches a seeded simulation of the process", () => {
  const rng = new Xoshiro128(11);
  const t = 1826 / 7;
  const n = 100_000;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const lambda = sampleGamma(rng, fitted.r, fitted.alpha);
    const p = sampleBeta(rng, fitted.a, fitted.b);
    let clock = sampleExponential(rng, lambda);
    while (clock <= t) {
      total++;
      if (rng.uniform() < p) break;
      clock += sampleExponential(rng, lambda);
    }
  }
  // ~14.7 purchases with a standard deviation near 25: the mean of 100,000 is within 0.6% (3 SE).
  const expected = bgnbdExpectedPurchases(fitted, t, 0, 0, 0);
  expect(Math.abs(expected / (total / n) - 1)).toBeLessThan(0.01);
});

test("equals the Euler series wherever that one does not cancel", () => {
  let compared = 0;
  for (const [a, b] of [
    [0.8, 2.4],
    [2, 5],
    [0.3, 0.5],
    [5, 50],
  ] as const) {
    for (const r of [0.5, 5, 30, 100, 1000]) {
      for (const x of [0, 3, 100]) {
        for (const z of [1e-6, 0.001, 0.01, 0.05, 0.1, 0.3]) {
          const params = { r, alpha: 1, a, b };
          if (eulerSeriesCancels(params, z) || a + b + x - 1 === 0) continue;
          const euler = bgnbdExpectationFactorAtZ(params, z, x);
          const sum = bgnbdExpectationFactorBySum(params, z / (1 - z), x);
          expect(Math.abs(sum / euler - 1)).toBeLessThan(1e-12);
          compared++;
        }
      }
    }
  }
  expect(compared).toBeGreaterThan(200);
});

test("the PMF's mean equals the forecast, and the CLV grid's curve the scalar form", () => {
  for (const params of [steady, fitted]) {
    const times = [1, 26, 52, 104, 156, 208, 260];
    const curve = new BgNbdExpectationCurve(params).expectations(
      3,
      10,
      12,
      times,
      new Float64Array(times.length),
    );
    for (const [k, t] of times.entries()) {
      const expected = bgnbdExpectedPurchases(params, t, 3, 10, 12);
      const { pmf, tail } = bgnbdConditionalPmf(params, t, 3, 10, 12, 2000);
      const mean = pmf.reduce((s, p, j) => s + j * p, 0);
      expect(tail).toBeLessThan(1e-12);
      expect(Math.abs(mean / expected - 1)).toBeLessThan(1e-9);
      expect(Math.abs((curve[k] ?? Number.NaN) / expected - 1)).toBeLessThan(1e-12);
    }
  }
});

test("a horizon with more purchase opportunities than the sum takes is an error naming t", () => {
  const params = { r: 1e6, alpha: 1, a: 0.8, b: 2.4 };
  const t = (2 * OPPORTUNITY_SUM_MAX_TERMS) / params.r;
  expect(Number.isNaN(bgnbdExpectationFactorBySum(params, t, 0))).toBe(true);
  expect(() => bgnbdExpectedPurchases(params, t, 0, 0, 0)).toThrow(ModelInputError);
  expect(() => bgnbdExpectedPurchases(params, t, 0, 0, 0)).toThrow(/^t: about 2000000 purchase/);
});
