import { expect, test } from "bun:test";
import {
  areaUnderRoc,
  countMetrics,
  logLoss,
  meanAbsoluteError,
  poissonDeviance,
  rootMeanSquaredError,
  spreadAcrossFolds,
} from "./metrics.ts";

test("MAE and RMSE of a hand-computed example", () => {
  const actual = [0, 2, 5];
  const predicted = [1, 2, 2];
  expect(meanAbsoluteError(actual, predicted)).toBeCloseTo(4 / 3, 12);
  expect(rootMeanSquaredError(actual, predicted)).toBeCloseTo(Math.sqrt(10 / 3), 12);
});

test("Poisson deviance: a zero count contributes 2 mu, a positive one 2(y log(y/mu) - (y - mu))", () => {
  // y = 0, mu = 0.5 -> 2 * 0.5 = 1; y = 2, mu = 1 -> 2 * (2 ln 2 - 1) = 0.7725887...
  expect(poissonDeviance([0, 2], [0.5, 1])).toBeCloseTo((1 + 2 * (2 * Math.log(2) - 1)) / 2, 12);
  expect(poissonDeviance([0], [0])).toBeCloseTo(0, 12);
  // A perfect forecast has zero deviance.
  expect(poissonDeviance([1, 3], [1, 3])).toBeCloseTo(0, 12);
  // A zero forecast of a positive count stays finite thanks to clipping.
  expect(Number.isFinite(poissonDeviance([1], [0]))).toBe(true);
});

test("AUC counts a tied positive/negative pair as one half", () => {
  expect(areaUnderRoc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
  // positives 0.5, 0.9; negatives 0.5, 0.2 -> (0.5 + 1 + 1 + 1) / 4
  expect(areaUnderRoc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBeCloseTo(0.875, 12);
  // all scores tied -> 0.5
  expect(areaUnderRoc([0, 1, 1, 0], [3, 3, 3, 3])).toBeCloseTo(0.5, 12);
  // labels are counts: anything > 0 is a positive
  expect(areaUnderRoc([0, 4, 0, 1], [0.1, 0.9, 0.2, 0.8])).toBe(1);
  expect(Number.isNaN(areaUnderRoc([1, 1], [0.2, 0.3]))).toBe(true);
});

test("log loss of a hand-computed example, and clipping of certain wrong answers", () => {
  expect(logLoss([1, 0], [0.8, 0.3])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
  expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 9);
  expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-15), 1);
  expect(logLoss([1], [0], 1e-3)).toBeCloseTo(-Math.log(1e-3), 12);
  expect(logLoss([1], [1])).toBeLessThan(1e-12);
});

test("countMetrics totals and mismatched lengths", () => {
  const m = countMetrics([1, 0, 3], [0.5, 0.5, 2]);
  expect(m.actual_total).toBe(4);
  expect(m.predicted_total).toBe(3);
  expect(() => countMetrics([1], [1, 2])).toThrow(RangeError);
});

test("spread across folds: mean, sample std, min and max per metric", () => {
  const s = spreadAcrossFolds([
    { a: 1, b: 10 },
    { a: 3, b: 10 },
  ]);
  expect(s.a).toEqual({ mean: 2, std: Math.SQRT2, min: 1, max: 3 });
  expect(s.b.std).toBe(0);
});
