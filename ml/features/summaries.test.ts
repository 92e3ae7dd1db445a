import { expect, test } from "bun:test";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";
import { isoDateToDay } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import { summarize } from "./summaries.ts";

const cdnow = cdnowSampleOrWarn("summaries.test.ts");
const CLASSIC = {
  calibrationEnd: "1997-09-30",
  holdoutEnd: "1998-06-30",
  timeUnit: "week",
} as const;

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

test.skipIf(cdnow === null)("CDNOW sample, classic split: known facts", async () => {
  const { log } = await readCdnowLog(cdnow as string);
  const s = summarize(log, CLASSIC);
  expect(s.n).toBe(2357);
  expect(s.excludedAfterCalibration).toBe(0);
  let repeaters = 0;
  for (const v of s.x) if (v > 0) repeaters++;
  expect(repeaters).toBe(946);
  // Derived independently with sort -u / awk over (sample id, date) pairs of the raw file.
  expect(sum(s.x)).toBe(2457);
  expect(sum(s.holdoutPurchases)).toBe(1882);
  expect(s.holdoutLength).toBeCloseTo(39, 12);
  const one = s.ids.indexOf("1");
  expect(s.x[one]).toBe(2);
  expect(s.tx[one]).toBeCloseTo(213 / 7, 12); // 30.43 weeks: 1997-01-01 → 1997-08-02
  expect(s.T[one]).toBeCloseTo(272 / 7, 12); // 38.86 weeks
  expect(s.monetary[one]).toBeCloseTo((29.73 + 14.96) / 2, 12);
  expect(s.firstSpend[one]).toBeCloseTo(29.33, 12);
  expect(s.holdoutPurchases[one]).toBe(1);
  expect(s.holdoutSpend[one]).toBeCloseTo(26.48, 12);
});

function logOf(rows: [string, string, number][]) {
  const b = new TransactionLogBuilder({ withQuantity: false });
  for (const [id, date, amount] of rows) b.push(b.customerNumber(id), isoDateToDay(date), amount);
  return b.finish();
}

test("same-day purchases merge, unsorted input, exclusion after calibration, days unit", () => {
  const log = logOf([
    ["b", "2020-01-20", 5], // after the calibration end: b is excluded
    ["a", "2020-01-05", 10],
    ["a", "2020-01-01", 1],
    ["a", "2020-01-05", 20], // same day as above: one purchase day, 30 spent
    ["a", "2020-01-01", 2],
    ["a", "2020-01-08", 6],
    ["a", "2020-01-12", 4], // holdout
    ["a", "2020-01-12", 4], // holdout, same day
    ["a", "2020-01-13", 1], // holdout
    ["a", "2020-02-01", 99], // after the holdout end: ignored
    ["c", "2020-01-10", 7], // first purchase on the calibration end day: x = 0, T = 0
  ]);
  const s = summarize(log, {
    calibrationEnd: "2020-01-10",
    holdoutEnd: "2020-01-20",
    timeUnit: "day",
  });
  expect(s.ids).toEqual(["a", "c"]);
  expect(s.excludedAfterCalibration).toBe(1);
  expect([...s.x]).toEqual([2, 0]);
  expect([...s.tx]).toEqual([7, 0]);
  expect([...s.T]).toEqual([9, 0]);
  expect([...s.monetary]).toEqual([18, 0]);
  expect([...s.firstSpend]).toEqual([3, 7]);
  expect([...s.holdoutPurchases]).toEqual([2, 0]);
  expect([...s.holdoutSpend]).toEqual([9, 0]);
  expect(s.holdoutLength).toBe(10);
  expect(isoDateToDay("2020-01-01")).toBe(s.firstDay[0]!);
});

test("bad options are rejected with the option named", () => {
  const log = logOf([["a", "2020-01-01", 1]]);
  expect(() => summarize(log, { calibrationEnd: "2020-13-01", timeUnit: "day" })).toThrow(
    /calibrationEnd/,
  );
  expect(() =>
    summarize(log, { calibrationEnd: "2020-02-01", holdoutEnd: "2020-01-01", timeUnit: "day" }),
  ).toThrow(/holdoutEnd/);
  // biome-ignore lint/suspicious/noExplicitAny: deliberately invalid input
  expect(() => summarize(log, { calibrationEnd: "2020-02-01", timeUnit: "month" as any })).toThrow(
    /timeUnit/,
  );
});
