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
