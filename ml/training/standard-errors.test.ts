// The observed information's inverse where the likelihood is flat along some parameters: the
// others keep their covariance, the flat ones are marked, and anything else not positive definite
// is refused.
import { expect, test } from "bun:test";
import { invertInformation, logParameterStandardErrors } from "./standard-errors.ts";

const round = (v: ArrayLike<number>) => Array.from(v, (x) => Math.round(x * 1e9) / 1e9);

test("a flat parameter is marked and the others' covariance is the inverse over them", () => {
  // [[4, 1, 0], [1, 3, 1e-6], [0, 1e-6, -1e-7]]: not positive definite, only because the third
  // is flat (a small negative curvature: an optimizer stops anywhere on a plateau); over the
  // first two the inverse is 1/11 [[3, -1], [-1, 4]].
  const H = Float64Array.from([4, 1, 0, 1, 3, 1e-6, 0, 1e-6, -1e-7]);
  const got = invertInformation(H, 3);
  expect(got?.flat).toEqual([2]);
  expect(round(got?.inverse ?? [])).toEqual(
    round([3 / 11, -1 / 11, 0, -1 / 11, 4 / 11, 0, 0, 0, 0]),
  );
  // Two flat ones coupled to each other (a dropout pair) are both marked.
  const pair = Float64Array.from([4, 0, 0, 0, 1e-4, 2e-4, 0, 2e-4, -1e-4]);
  expect(invertInformation(pair, 3)?.flat).toEqual([1, 2]);
});

test("a saddle, or a ridge between curved parameters, is refused, not marked flat", () => {
  expect(invertInformation(Float64Array.from([4, 0, 0, -1]), 2)).toBeNull();
  expect(invertInformation(Float64Array.from([1, 1, 1, 1]), 2)).toBeNull();
  const whole = invertInformation(Float64Array.from([2, 0, 0, 0.5]), 2);
  expect(whole?.flat).toEqual([]);
  expect(round(whole?.inverse ?? [])).toEqual([0.5, 0, 0, 2]);
});

test("standard errors: infinite along a flat parameter, the delta method's elsewhere", () => {
  // f depends on θ0 only (curvature 100 in log space): se(exp θ0) = exp θ0 / 10; θ1 is flat.
  const f = (t: Float64Array) => 50 * (t[0]! - Math.log(2)) ** 2;
  const se = logParameterStandardErrors(f, [Math.log(2), 3]);
  expect(se[0]).toBeCloseTo(0.2, 6);
  expect(se[1]).toBe(Number.POSITIVE_INFINITY);
  // Not at an optimum at all: NaN throughout, as before.
  const saddle = logParameterStandardErrors((t) => t[0]! ** 2 - t[1]! ** 2, [0, 0]);
  expect(Array.from(saddle).every(Number.isNaN)).toBe(true);
});

test("a flat parameter is held even when rounding leaves H positive definite", () => {
  // The observed information of Pareto/NBD's production refit on a log without dropout (800
  // customers and one daily buyer, log-parameters r, alpha, s, beta): s and beta have curvatures
  // of 8e-9 and 3e-9 of r's, and H is positive definite. The whole inverse gave log s and log
  // beta variances of 2.3e4 and 4.3e4, so interval draws took s from e^(±150) and a customer
  // who bought every day up to today got a Pareto/NBD 80% interval of [0, …] purchases.
  const H = Float64Array.from([
    3.316e3, -3.074e3, -5.594e-5, 3.272e-5, -3.074e3, 3.083e3, 8.59e-6, -3.35e-6, -5.594e-5,
    8.59e-6, 2.51e-5, -4.588e-6, 3.272e-5, -3.35e-6, -4.588e-6, 1.073e-5,
  ]);
  const got = invertInformation(H, 4);
  expect(got?.flat).toEqual([2, 3]);
  const inverse = Array.from(got?.inverse ?? []);
  // s and beta held: zero rows and columns; r and alpha: the inverse over them alone.
  for (const i of [2, 3]) {
    for (let j = 0; j < 4; j++) {
      expect(inverse[i * 4 + j]).toBe(0);
      expect(inverse[j * 4 + i]).toBe(0);
    }
  }
  const det = 3.316e3 * 3.083e3 - 3.074e3 * 3.074e3;
  expect(inverse[0]).toBeCloseTo(3.083e3 / det, 12);
  expect(inverse[5]).toBeCloseTo(3.316e3 / det, 12);
});
