// The horizon's bound: at most 5 years in days or in weeks, each problem named once.
import { expect, test } from "bun:test";
import { horizonSchema, MAX_HORIZON_DAYS, transactionTime } from "./forecast-request.ts";

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

// A transaction time in a shop's own layout (03/01/2023, 31.12.2023) was also told it is "on or
// before 1970-01-01: a placeholder" or "more than a day after today": the bounds compared the
// text as if it were ISO. Only the layout (and calendar) is named; the bounds judge real dates.
test("a transaction time in another layout is named as such, not as a placeholder or a future date", () => {
  const issues = (at: string) => {
    const parsed = transactionTime.safeParse(at);
    return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  };
  const layout = "must be a date YYYY-MM-DD or a timestamp YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]";
  expect(issues("03/01/2023")).toEqual([layout]);
  expect(issues("31.12.2023")).toEqual([layout]);
  expect(issues("2023-02-30")).toEqual(["is not a valid calendar date"]);
  expect(issues("1970-01-01")).toEqual([
    "is on or before 1970-01-01: a placeholder for a missing date, not a purchase",
  ]);
  expect(issues("2999-01-01")[0]).toContain("a purchase cannot be in the future");
  expect(issues("2023-03-26T01:30:00+01:00")).toEqual([]);
});
