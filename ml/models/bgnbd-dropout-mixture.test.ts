// BG/NBD's expectation factor by quadrature over p equals the series wherever the series is short,
// and gives finite, simulation-true forecasts where the series overflows (a ≈ 1e5, b held at 1e6).
import { expect, test } from "bun:test";
import { type BgNbdParams, bgnbdExpectedPurchases, bgnbdProbabilityAlive } from "./bgnbd.ts";
import {
  bgnbdExpectationFactorByQuadrature,
  bgnbdMixtureApplies,
  bgnbdSeriesLong,
} from "./bgnbd-dropout-mixture.ts";
import { BgNbdExpectationCurve } from "./bgnbd-expectation-curve.ts";

test("equals the series (via bgnbdExpectedPurchases) where the series is short", () => {
  const cases: BgNbdParams[] = [
    { r: 0.24, alpha: 4.41, a: 2.5, b: 2.4 }, // wide: not applicable, skipped
    { r: 0.24, alpha: 4.41, a: 400, b: 3000 },
    { r: 3, alpha: 10, a: 300, b: 3000 },
    { r: 1.5, alpha: 8, a: 900, b: 900 },
  ];
  let compared = 0;
  for (const params of cases) {
    for (const [x, tx, T] of [
      [0, 0, 30],
      [2, 10, 30],
      [12, 28, 30],
    ] as const) {
      for (const t of [0.5, 10, 39]) {
        const z = t / (params.alpha + T + t);
        if (bgnbdSeriesLong(params.a, z) || !bgnbdMixtureApplies(params, x)) continue;
        const series = bgnbdExpectedPurchases(params, t, x, tx, T);
        const factor = bgnbdExpectationFactorByQuadrature(params, t / (params.alpha + T), x);
        const mixture =
          (params.a + params.b + x - 1) * factor * bgnbdProbabilityAlive(params, x, tx, T);
        expect(Math.abs(mixture / series - 1)).toBeLessThan(1e-11);
        compared++;
      }
    }
  }
  expect(compared).toBeGreaterThan(20);
});

test("one dropout probability for everyone (a ≈ 1e5, b = 1e6): finite forecasts that match simulation", () => {
  // The fit of a log with one purchase rate and CDNOW-like dropout holds b at the shape limit; the
  // series then overflowed (NaN at t = 1, an error at t = 39) and `ml train` failed in its report.
  const params = { r: 1.5, alpha: 8.2, a: 101_017, b: 1_000_000 };
  const p = params.a / (params.a + params.b);
  // A new customer: λ ~ Gamma(r, alpha), and p fixed for everyone to 0.1%. Simulated directly:
  // purchases in (0, t] are those of a Poisson process stopped by a geometric dropout.
  let seed = 7;
  const uniform = () => {
    seed = (seed * 1664525 + 1013904223) % 4294967296;
    return (seed + 0.5) / 4294967296;
  };
  const gamma = (shape: number) => {
    // Marsaglia-Tsang for shape >= 1
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const n = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      const v = (1 + c * n) ** 3;
      if (v > 0 && Math.log(uniform()) < 0.5 * n * n + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const t = 39;
  const n = 200_000;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const lambda = gamma(params.r) / params.alpha;
    let clock = -Math.log(uniform()) / lambda;
    while (clock <= t) {
      total++;
      if (uniform() < p) break;
      clock += -Math.log(uniform()) / lambda;
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
