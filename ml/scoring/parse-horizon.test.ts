// `ml score --horizon`: a refusal names what is wrong with the text given, not only the form wanted.
import { expect, test } from "bun:test";
import { parseHorizon } from "./run-score.ts";

test("a zero or negative horizon is refused as not positive (as /forecast says), not as not a number", () => {
  // "0w" is a number of weeks: the message said "expected a number of weeks or days like 52w".
  for (const bad of ["0w", "0d", "0.0 weeks", "-3d", "-1w"]) {
    expect(() => parseHorizon(bad)).toThrow(`--horizon: must be > 0, got "${bad}"`);
  }
});

test("a unit other than weeks or days is refused naming the units supported", () => {
  for (const bad of ["10y", "3 months", "52m", "12h"]) {
    expect(() => parseHorizon(bad)).toThrow(
      `--horizon: supported units are weeks (52w, 52 weeks) and days (365d, 365 days), got "${bad}"`,
    );
  }
});

test("text that is not a number with a unit keeps the general message; valid horizons parse", () => {
  for (const bad of ["52", "w", "", "1e308w", "fifty weeks"]) {
    expect(() => parseHorizon(bad)).toThrow(
      `--horizon: expected a number of weeks or days like 52w or 365d, got "${bad}"`,
    );
  }
  expect(parseHorizon("52w")).toEqual({ value: 52, unit: "week" });
  expect(parseHorizon("365 days")).toEqual({ value: 365, unit: "day" });
  expect(parseHorizon(" 0.5 W ")).toEqual({ value: 0.5, unit: "week" });
  expect(() => parseHorizon("2000d")).toThrow(/at most 1826 days/);
});
