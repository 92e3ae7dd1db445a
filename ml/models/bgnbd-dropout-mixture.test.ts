// BG/NBD's expectation factor by quadrature over p equals the series wherever the series is short,
// and gives finite, simulation-true forecasts where the series overflows (a ≈ 1e5, b held at 1e6);
// with the dropout probability piled against 1 (a held at 1e6, b near 0) the direct series does.
import { expect, test } from "bun:test";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleExponential, sampleGamma } from "../sim/samplers.ts";
import { type BgNbdParams, bgnbdExpectedPurchases, bgnbdProbabilityAlive } from "./bgnbd.ts";
import {
  bgnbdExpectationFactorByDirectSeries,
  bgnbdExpectationFactorByQuadrature,
  bgnbdMixtureApplies,
} from "./bgnbd-dropout-mixture.ts";
import { BgNbdExpectationCurve } from "./bgnbd-expectation-curve.ts";
import { seriesIsLong } from "./hypergeometric.ts";

test("equals the series (via bgnbdExpectedPurchases) where the series is short", () => {
  const cases: BgNbdParams[] = [
    { r: 0.24, alpha: 4.41, a: 2.5, b: 2.4 }, // wide: not applicable, skipped
    { r: 0.24, alpha: 4.41, a: 400, b: 3000 },
    { r: 3, alpha: 10, a: 300, b: 3000 },
    { r: 1.5, alpha: 8, a: 900, b: 900 },
  ];
  const compared = agreesWithSeries(
    cases,
    [
      [0, 0, 30],
      [2, 10, 30],
      [12, 28, 30],
    ],
    [0.5, 10, 39],
    bgnbdMixtureApplies,
    bgnbdExpectationFactorByQuadrature,
    1e-11,
  );
  expect(compared).toBeGreaterThan(20);
});

test("one dropout probability for everyone (a ≈ 1e5, b = 1e6): finite forecasts that match simulation", () => {
  // The fit of a log with one purchase rate and CDNOW-like dropout holds b at the shape limit; the
  // series then overflowed (NaN at t = 1, an error at t = 39) and `ml train` failed in its report.
  const params = { r: 1.5, alpha: 8.2, a: 101_017, b: 1_000_000 };
  const p = params.a / (params.a + params.b);
  // A new customer: λ ~ Gamma(r, alpha), and p fixed for everyone to 0.1%. Simulated directly:
  // purchases in (0, t] are those of a Poisson process stopped by a geometric dropout.
  const rng = new Xoshiro128(7);
  const t = 39;
  const n = 200_000;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const lambda = sampleGamma(rng, params.r, params.alpha);
    let clock = sampleExponential(rng, lambda);
    while (clock <= t) {
      total++;
      if (rng.uniform() < p) break;
      clock += sampleExponential(rng, lambda);
    }
  }
  const expected = bgnbdExpectedPurchases(params, t, 0, 0, 0);
  expect(Number.isFinite(expected)).toBe(true);
  expect(Math.abs(expected / (total / n) - 1)).toBeLessThan(0.01);
  // A customer with a history, and the CLV grid's curve, agree with the scalar form.
  const curve = new BgNbdExpectationCurve(params);
  const grid = curve.expectations(5, 20, 39, [1, 10, 39, 78], new Float64Array(4));
  for (const [k, tk] of [1, 10, 39, 78].entries()) {
    const scalar = bgnbdExpectedPurchases(params, tk, 5, 20, 39);
    expect(Number.isFinite(scalar)).toBe(true);
    expect(Math.abs((grid[k] ?? 0) / scalar - 1)).toBeLessThan(1e-12);
  }
});

test("a series short enough but whose sum overflows (a ≈ 3,300, b = 1e6): the fixed-p limit's forecasts", () => {
  // A fit of 600 steady buyers (an Excel export) held b at 1e6 with a = 3,283: at t = 34 weeks,
  // T = 70, the Euler series had ~1,100 terms (not "long") but summed to e^920, and every BG/NBD
  // forecast was NaN. The Beta(a − 1, b + x) of p is tight (sd 2% of its mean), so E is, to
  // ~1e-4, the fixed-p formula: P(alive)·(1 − (1 + p·u)^−(r+x))/p with u = t/(alpha+T).
  const params = { r: 7.1706, alpha: 34.779, a: 3282.68, b: 1e6 };
  const t = 34;
  for (const [x, tx, T] of [
    [1, 10, 70],
    [20, 60, 70],
    [40, 69, 70],
    [100, 100, 104],
  ] as const) {
    const z = t / (params.alpha + T + t);
    expect((params.a * z + 40) / (1 - z)).toBeLessThan(2_000); // short, yet routed by overflow
    expect(seriesIsLong(params.a, z)).toBe(true);
    const p = (params.a - 1) / (params.a - 1 + params.b + x);
    const u = t / (params.alpha + T);
    const fixedP =
      (-Math.expm1(-(params.r + x) * Math.log1p(p * u)) / p) *
      bgnbdProbabilityAlive(params, x, tx, T);
    const expected = bgnbdExpectedPurchases(params, t, x, tx, T);
    expect(Math.abs(expected / fixedP - 1)).toBeLessThan(1e-3);
    const curve = new BgNbdExpectationCurve(params);
    const grid = curve.expectations(x, tx, T, [t], new Float64Array(1));
    expect(Math.abs((grid[0] ?? 0) / expected - 1)).toBeLessThan(1e-12);
  }
});

test("the CLV grid's curve where its coefficients overflow (a ≈ 28,500, b = 1e6): the scalar's forecasts", () => {
  // A production refit of 600 customers: the curve's z-free coefficients, ~a^n/n!, passed double
  // range at t = 1 week (−Infinity), and every BG/NBD, GBDT and blend CLV of `ml score` was empty.
  const params = { r: 4.6634, alpha: 19.167, a: 28_494.5, b: 1e6 };
  const times = [1, 2, 5, 10, 29, 52];
  const grid = new BgNbdExpectationCurve(params).expectations(
    8,
    83.57,
    86.29,
    times,
    new Float64Array(6),
  );
  for (const [k, t] of times.entries()) {
    const scalar = bgnbdExpectedPurchases(params, t, 8, 83.57, 86.29);
    expect(Number.isFinite(scalar) && scalar > 0).toBe(true);
    expect(Math.abs((grid[k] ?? 0) / scalar - 1)).toBeLessThan(1e-8);
  }
});

test("the direct series equals the Euler-form series where that one is short", () => {
  const compared = agreesWithSeries(
    [
      { r: 0.4, alpha: 15, a: 60, b: 0.5 },
      { r: 2, alpha: 5, a: 40, b: 3 },
    ],
    [
      [0, 0, 30],
      [1, 10, 30],
      [6, 28, 30],
    ],
    [0.01, 1, 10],
    (params, x) => params.a - 1 > params.b + x,
    bgnbdExpectationFactorByDirectSeries,
    1e-10,
  );
  expect(compared).toBeGreaterThan(12);
});

test("everyone drops out after a purchase (a held at 1e6, b near 0): one purchase at most, as the limit says", () => {
  // Three customers' log fitted so; the Euler series needed ~a terms and `ml train` failed with
  // "series did not converge for t/(alpha+T+t) = 0.42". In the limit p = 1 a customer alive at T
  // (x = 0) buys once more at most: E = 1 − ((alpha+T)/(alpha+T+t))^r; one with x ≥ 1 is gone.
  const params = { r: 0.375, alpha: 14.8, a: 1e6, b: 3.2e-6 };
  const curve = new BgNbdExpectationCurve(params);
  for (const T of [0, 30]) {
    const times = [1, 10, 39, 78];
    const grid = curve.expectations(0, 0, T, times, new Float64Array(4));
    for (const [k, t] of times.entries()) {
      const limit = 1 - ((params.alpha + T) / (params.alpha + T + t)) ** params.r;
      const scalar = bgnbdExpectedPurchases(params, t, 0, 0, T);
      expect(Math.abs(scalar / limit - 1)).toBeLessThan(1e-5);
      expect(Math.abs((grid[k] ?? 0) / scalar - 1)).toBeLessThan(1e-12);
    }
  }
  expect(bgnbdExpectedPurchases(params, 39, 2, 10, 30)).toBeLessThan(1e-5);
});

/**
 * E = (a+b+x−1)·factor·P(alive) by an alternative `factor` against bgnbdExpectedPurchases, for
 * every case where the Euler series is short and `applies` says the alternative does; to
 * `tolerance` relative. Returns how many were compared.
 */
function agreesWithSeries(
  cases: BgNbdParams[],
  customers: (readonly [number, number, number])[],
  horizons: number[],
  applies: (params: BgNbdParams, x: number) => boolean,
  factor: (params: BgNbdParams, u: number, x: number) => number,
  tolerance: number,
): number {
  let compared = 0;
  for (const params of cases) {
    for (const [x, tx, T] of customers) {
      for (const t of horizons) {
        const z = t / (params.alpha + T + t);
        if (seriesIsLong(params.a, z) || !applies(params, x)) continue;
        const series = bgnbdExpectedPurchases(params, t, x, tx, T);
        const alternative =
          (params.a + params.b + x - 1) *
          factor(params, t / (params.alpha + T), x) *
          bgnbdProbabilityAlive(params, x, tx, T);
        expect(Math.abs(alternative / series - 1)).toBeLessThan(tolerance);
        compared++;
      }
    }
  }
  return compared;
}
