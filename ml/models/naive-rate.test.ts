import { expect, test } from "bun:test";
import { naiveRateColumn, naiveRateForecast } from "./naive-rate.ts";

test("the naive rate is x·h/T, 0 without purchases or observed time", () => {
  expect(naiveRateForecast(6, 52, 39)).toBeCloseTo(4.5, 12);
  expect(naiveRateForecast(6, 52, 78)).toBeCloseTo(9, 12);
  expect(naiveRateForecast(0, 52, 39)).toBe(0);
  expect(naiveRateForecast(3, 0, 39)).toBe(0);
  expect(Array.from(naiveRateColumn([2, 0, 4], [10, 5, 0], 5))).toEqual([1, 0, 0]);
});
