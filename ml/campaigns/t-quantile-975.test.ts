// The campaign intervals' t quantile: the series where it takes over agrees with 40-digit
// references (mpmath: roots of 1 − I_{ν/(ν+t²)}(ν/2, ½)/2 = 0.975) to the last place, and with
// the library within the library's own error; below it the library answers.
import { expect, test } from "bun:test";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { SERIES_MIN_DF, seriesT975, tQuantile975, Z_975 } from "./t-quantile-975.ts";

const ULP = 2 ** -51; // the spacing of doubles in [1, 2)

test("the series matches 40-digit references within one unit in the last place", () => {
  // The references to 20 digits, as strings (a literal that long loses its tail as a number).
  const references: Array<[number, string]> = [
    [30, "2.04227245630123831"],
    [37.1, "2.0260081295346496575"],
    [100, "1.9839715185235522866"],
    [815.5, "1.9628772109551544119"],
    [2000, "1.9611508260994380305"],
    [12345.6, "1.9601561582595105292"],
    [1e6, "1.9599663568141070353"],
    [1e9, "1.9599639869123254686"],
  ];
  for (const [df, exact] of references) {
    expect(Math.abs(tQuantile975(df) - Number(exact))).toBeLessThanOrEqual(ULP);
  }
  expect(SERIES_MIN_DF).toBe(30);
});

test("from 30 degrees of freedom on it agrees with the library within 3 ulp", () => {
  for (let df = SERIES_MIN_DF; df < 1e8; df *= 1.013) {
    expect(Math.abs(seriesT975(df) - tQuantile(0.975, df))).toBeLessThanOrEqual(3 * ULP);
  }
});

test("below 30 the library answers, bit for bit; the normal quantile is the limit", () => {
  for (const df of [1, 2.5, 4.959, 12.3, 29.99]) {
    expect(tQuantile975(df)).toBe(tQuantile(0.975, df));
  }
  expect(seriesT975(1e20)).toBe(Z_975);
});
