import { expect, test } from "bun:test";
import { byFrequencyTable, decileTable, probabilityCalibrationTable } from "./chart-tables.ts";

test("deciles sort by prediction and average both sides", () => {
  const predicted = [5, 1, 3, 2, 4];
  const actual = [50, 10, 30, 20, 40];
  const rows = decileTable("m", predicted, actual, 5);
  expect(rows.map((r) => r.predicted)).toEqual([1, 2, 3, 4, 5]);
  expect(rows.map((r) => r.actual)).toEqual([10, 20, 30, 40, 50]);
});

test("probability calibration counts any positive count as a purchase", () => {
  const rows = probabilityCalibrationTable("m", [0.1, 0.2, 0.8, 0.9], [0, 0, 2, 1], 2);
  expect(rows).toEqual([
    { model: "m", bin: 1, customers: 2, predicted: (0.1 + 0.2) / 2, observed: 0 },
    { model: "m", bin: 2, customers: 2, predicted: (0.8 + 0.9) / 2, observed: 1 },
  ]);
});

test("frequency table caps at 7+", () => {
  const rows = byFrequencyTable([0, 0, 8, 12], { actual: [1, 3, 4, 6] });
  expect(rows).toEqual([
    { frequency: "0", customers: 2, series: "actual", mean_holdout_purchases: 2 },
    { frequency: "7+", customers: 2, series: "actual", mean_holdout_purchases: 5 },
  ]);
});
