import { expect, test } from "bun:test";
import { addCompensated, compensatedSum } from "./compensated-sum.ts";

test("300 costs of 0.2 and one of 0.1 sum to the 60.1 they fill, in both shapes; a plain sum does not", () => {
  const costs = [...Array<number>(300).fill(0.2), 0.1];
  expect(costs.reduce((a, b) => a + b, 0)).not.toBe(60.1);
  expect(compensatedSum(costs)).toBe(60.1);
  const sums = new Float64Array(4);
  for (const c of costs) addCompensated(sums, 2, c);
  expect([sums[0], sums[1], (sums[2] as number) + (sums[3] as number)]).toEqual([0, 0, 60.1]);
});

test("a large term does not swallow the small ones before or after it", () => {
  const values = [1, 1e100, 1, -1e100];
  expect(values.reduce((a, b) => a + b, 0)).toBe(0);
  expect(compensatedSum(values)).toBe(2);
  const sums = new Float64Array(2);
  for (const v of values) addCompensated(sums, 0, v);
  expect((sums[0] as number) + (sums[1] as number)).toBe(2);
  expect(compensatedSum([])).toBe(0);
});
