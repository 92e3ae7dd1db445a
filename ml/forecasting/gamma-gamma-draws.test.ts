// Spend intervals under a Gamma-Gamma fit whose q and gamma are known only as a ratio (a ridge):
// draws from N(log θ̂, Σ) reached q < 1, where the mean spend is infinite, and the 95% spend and CLV
// upper bounds of customers without a repeat purchase were unbounded (empty in ml score).
import { expect, test } from "bun:test";
import { forecastIntervals, type IntervalModelParams } from "./intervals.ts";

// Fitted by ml train on a generated Online Retail II-style export of 998 customers (model.json):
// log q's variance 27.3, correlated 0.99999 with log gamma's; 3 of the first 16 draws have q < 1.
const ridge: IntervalModelParams = {
  bgnbd: { r: 0.498, alpha: 2.334, a: 0.864, b: 6.498 },
  paretoNbd: { r: 0.5, alpha: 2.5, s: 0.6, beta: 10 },
  gammaGamma: { p: 0.7603, q: 846.29, gamma: 332834.7 },
  covariances: {
    gamma_gamma: [
      0.0032084, -0.1578643, -0.1613228, -0.1578643, 27.30121, 27.501712, -0.1613228, 27.501712,
      27.706218,
    ],
  } as never,
  dispersion: {},
};

test("parameter draws with q ≤ 1 (infinite mean spend) are redrawn: spend bounds stay finite", () => {
  const input = {
    x: [0, 0, 0, 3],
    tx: [0, 0, 0, 10],
    T: [21.29, 22.71, 29.86, 40],
    monetary: [Number.NaN, Number.NaN, Number.NaN, 300],
    horizon: 52,
    levels: [0.8, 0.95],
    models: ["bgnbd" as const],
  };
  const bgnbd = forecastIntervals(ridge, input).bgnbd;
  for (let i = 0; i < 4; i++) {
    for (const level of bgnbd?.byLevel ?? []) {
      const [lo, hi] = [level.spend[2 * i]!, level.spend[2 * i + 1]!];
      expect(Number.isFinite(hi)).toBe(true);
      expect(hi).toBeGreaterThanOrEqual(lo);
    }
  }
  expect(bgnbd?.warnings.join(" ")).toMatch(
    /^Gamma-Gamma: \d+ of \d+ parameter draws lay at q ≤ 1, where its mean spend is infinite, and were redrawn$/,
  );
});

test("a Gamma-Gamma fit without such draws keeps them and says nothing", () => {
  const tight = {
    ...ridge,
    gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 },
    covariances: { gamma_gamma: [0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01] } as never,
  };
  const input = { x: [0, 2], tx: [0, 20], T: [30, 30], monetary: [Number.NaN, 40], horizon: 39 };
  const result = forecastIntervals(tight, { ...input, levels: [0.9], models: ["bgnbd"] });
  expect(result.bgnbd?.warnings).toEqual([]);
  expect(Number.isFinite(result.bgnbd?.byLevel[0]?.spend[3] as number)).toBe(true);
});
