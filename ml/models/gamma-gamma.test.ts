import { expect, test } from "bun:test";
import { LIKELIHOOD_DECREMENT_TOLERANCE } from "../training/optimizer.ts";
import {
  gammaGammaCustomerLogLikelihood,
  gammaGammaExpectedSpend,
  gammaGammaExpectedSpendBatch,
  gammaGammaLogLikelihood,
  gammaGammaNegLogLikelihood,
  prepareSpendRows,
  zeroSpendRepeatBuyers,
} from "./gamma-gamma.ts";
import { ModelInputError } from "./types.ts";

const CDNOW = { p: 6.25, q: 3.74, gamma: 15.44 };

test("the density of the mean spend m_x integrates to 1 for each x", () => {
  for (const x of [1, 3, 12]) {
    // Trapezoid on a log grid: ∫ f(m) dm = ∫ f(e^u) e^u du.
    const lo = Math.log(1e-4);
    const hi = Math.log(1e5);
    const steps = 40_000;
    const h = (hi - lo) / steps;
    let total = 0;
    for (let i = 0; i <= steps; i++) {
      const u = lo + i * h;
      const w = i === 0 || i === steps ? 0.5 : 1;
      total += w * Math.exp(gammaGammaCustomerLogLikelihood(CDNOW, x, Math.exp(u)) + u);
    }
    expect(Math.abs(total * h - 1)).toBeLessThan(1e-6);
  }
});

test("the expected spend weighs the population mean against the customer's own mean", () => {
  const { p, q, gamma } = CDNOW;
  const population = (p * gamma) / (q - 1);
  expect(gammaGammaExpectedSpend(CDNOW, 0, 0)).toBeCloseTo(population, 12);
  for (const [x, m] of [
    [1, 10],
    [5, 80],
    [30, 22.5],
  ] as const) {
    const weight = (p * x) / (p * x + q - 1);
    const want = (1 - weight) * population + weight * m;
    expect(gammaGammaExpectedSpend(CDNOW, x, m)).toBeCloseTo(want, 10);
  }
  // More repeat purchases pull the estimate towards the customer's own mean.
  const few = gammaGammaExpectedSpend(CDNOW, 1, 100);
  const many = gammaGammaExpectedSpend(CDNOW, 20, 100);
  expect(many).toBeGreaterThan(few);
  expect(many).toBeLessThan(100);
  // An infinite population mean (q <= 1) is reported, not hidden.
  expect(gammaGammaExpectedSpend({ ...CDNOW, q: 0.9 }, 0, 0)).toBe(Number.POSITIVE_INFINITY);
});

test("the likelihood skips x = 0 and $0 repeat buyers and rejects a negative spend with x > 0", () => {
  const x = Float64Array.from([0, 2, 5]);
  const monetary = Float64Array.from([0, 30, 12]);
  const want =
    gammaGammaCustomerLogLikelihood(CDNOW, 2, 30) + gammaGammaCustomerLogLikelihood(CDNOW, 5, 12);
  expect(gammaGammaLogLikelihood(CDNOW, { x, monetary })).toBeCloseTo(want, 10);
  // A repeat buyer whose repeat purchases were all $0 is left out of the fit, and counted.
  monetary[2] = 0;
  expect(gammaGammaLogLikelihood(CDNOW, { x, monetary })).toBeCloseTo(
    gammaGammaCustomerLogLikelihood(CDNOW, 2, 30),
    10,
  );
  expect(zeroSpendRepeatBuyers({ x, monetary })).toBe(1);
  // ... and predicted at the population mean (the x = 0 case).
  expect(gammaGammaExpectedSpend(CDNOW, 5, 0)).toBe(gammaGammaExpectedSpend(CDNOW, 0, 0));
  monetary[2] = -1;
  try {
    gammaGammaLogLikelihood(CDNOW, { x, monetary });
    throw new Error("expected a ModelInputError");
  } catch (err) {
    expect(err).toBeInstanceOf(ModelInputError);
    expect((err as ModelInputError).field).toBe("monetary");
    expect((err as ModelInputError).index).toBe(2);
  }
  const batch = gammaGammaExpectedSpendBatch(CDNOW, x, Float64Array.from([0, 30, 12]));
  expect(batch[1]).toBe(gammaGammaExpectedSpend(CDNOW, 2, 30));
});

test("the grouped likelihood equals the per-customer sum, and its gradient the finite differences", () => {
  // Repeat counts with ties (the grouping) and spends over five orders of magnitude.
  const n = 5000;
  const x = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7) % 23));
  const m = Float64Array.from({ length: n }, (_, i) => 0.5 * 1.7 ** (i % 23) + (i % 11));
  const rows = prepareSpendRows(x, m);
  expect(rows.distinctX.length).toBe(23);
  for (const params of [CDNOW, { p: 0.3, q: 40, gamma: 2e5 }, { p: 80, q: 1.1, gamma: 0.01 }]) {
    let reference = 0;
    for (let i = 0; i < n; i++) reference += gammaGammaCustomerLogLikelihood(params, x[i]!, m[i]!);
    const theta = Float64Array.of(Math.log(params.p), Math.log(params.q), Math.log(params.gamma));
    const gradient = new Float64Array(3);
    const value = gammaGammaNegLogLikelihood(rows, theta, gradient);
    // Equal up to the order of summation (the reference sum rounds too).
    expect(Math.abs(-value - reference) / Math.abs(reference)).toBeLessThan(1e-10);
    for (let j = 0; j < 3; j++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j]! += h;
      down[j]! -= h;
      const numeric =
        (gammaGammaNegLogLikelihood(rows, up) - gammaGammaNegLogLikelihood(rows, down)) / (2 * h);
      expect(Math.abs(gradient[j]! - numeric)).toBeLessThan(1e-5 * (1 + Math.abs(numeric)));
    }
  }
});

test("the likelihood's rounding stays below the fit's tolerance on many repeat buyers", () => {
  // Summed as differences of ~1e8-sized sums, 900,000 repeat buyers' likelihood moved by ~3e-6
  // with the order of its customers: more than the 1e-7 the fit stops at, so its line search
  // failed on noise and the fit ran on to Nelder-Mead (1,329 evaluations, 14 s; now 81, 1.9 s).
  // 20,000 buyers with up to 1,000 repeat purchases make sums as large.
  const n = 20_000;
  const x = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 1000));
  const m = Float64Array.from({ length: n }, (_, i) => 5 + ((i * 104729) % 1000) / 10);
  const theta = Float64Array.of(Math.log(CDNOW.p), Math.log(CDNOW.q), Math.log(CDNOW.gamma));
  const forward = gammaGammaNegLogLikelihood(prepareSpendRows(x, m), theta);
  const reversed = gammaGammaNegLogLikelihood(
    prepareSpendRows(x.slice().reverse(), m.slice().reverse()),
    theta,
  );
  expect(Math.abs(forward - reversed)).toBeLessThan(LIKELIHOOD_DECREMENT_TOLERANCE / 10);
});
