// The horizon's bound: at most 5 years in days or in weeks, each problem named once.
import { expect, test } from "bun:test";
import { horizonSchema, MAX_HORIZON_DAYS } from "./forecast-request.ts";

const problems = (horizon: unknown) => {
  const parsed = horizonSchema.safeParse(horizon);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

test("a horizon past 5 years is named once, in days or in weeks (1e308 days was named twice)", () => {
  const over = `value: must be at most ${MAX_HORIZON_DAYS} days (5 years)`;
  expect(problems({ value: 1e308, unit: "day" })).toEqual([over]);
  expect(problems({ value: 1e308, unit: "week" })).toEqual([over]);
  expect(problems({ value: 300, unit: "week" })).toEqual([over]);
  expect(problems({ value: 260, unit: "week" })).toEqual([]);
  expect(problems({ value: MAX_HORIZON_DAYS, unit: "day" })).toEqual([]);
});
