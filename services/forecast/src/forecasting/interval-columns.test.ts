// The served distribution of a customer: entries rounded to 9 decimals and a tail that together
// sum to 1, however many entries the PMF has.
import { expect, test } from "bun:test";
import type { ModelIntervals } from "@pp/ml/forecasting/intervals.ts";
import { negativeBinomialMeanPmf } from "@pp/ml/models/negative-binomial.ts";
import { distributionJson } from "./interval-columns.ts";

test("a served PMF and its tail sum to 1 within 1e-12, with thousands of rounded entries", () => {
  // Before, the tail was 1 minus the unrounded sum: 2,034 entries of a heavy buyer's five-year
  // PMF (each rounded to 9 decimals) and that tail summed to 1 − 3.1e-8 or 1 + 8.8e-8.
  let worst = 0;
  for (const [mean, dispersion] of [
    [0.3, 1.7],
    [12.5, 0.8],
    [272.97, 0.01],
    [1825.08, 0.001],
    [1500, 0],
  ] as const) {
    const dist = negativeBinomialMeanPmf(mean, dispersion, Math.ceil(3 * mean + 200));
    const intervals: ModelIntervals = { byLevel: [], pmf: [dist], warnings: [] };
    const served = distributionJson(intervals, 0);
    if (!served) throw new Error("no distribution");
    expect(served.pmf.every((p) => p >= 0 && Math.round(p * 1e9) / 1e9 === p)).toBe(true);
    expect(served.tail).toBeGreaterThanOrEqual(0);
    const sum = served.pmf.reduce((s, p) => s + p, 0) + served.tail;
    worst = Math.max(worst, Math.abs(sum - 1));
    // Still cut where 1 − 1e-6 of the mass is reached.
    expect(served.tail).toBeLessThan(2e-6);
  }
  expect(worst).toBeLessThan(1e-12);
});
