// A month missing from an export is named; a closed week, a quiet shop and a log dated monthly
// are not. (Unnamed, a missing month forecast a holdout 20% low, 38% with the cutoff inside it.)
import { expect, test } from "bun:test";
import { isoDateToDay } from "../transaction-log.ts";
import { TransactionLogBuilder } from "../transaction-log-builder.ts";
import { emptySpan, emptySpanWarning } from "./empty-span.ts";

const START = isoDateToDay("2021-01-04");

/** `perDay` customers buying on each of `days` days from START, except where `skip` says. */
function log(days: number, perDay: (day: number) => number, skip = (_day: number) => false) {
  const builder = new TransactionLogBuilder({ withQuantity: false });
  let next = 0;
  for (let d = 0; d < days; d++) {
    if (skip(d)) continue;
    for (let k = 0; k < perDay(d); k++)
      builder.push(builder.customerNumber(`c${next++ % 5000}`), START + d, 10);
  }
  return builder.finish();
}

test("a month without a purchase in a log that buys every day is named, with the purchase days expected", () => {
  const july = (d: number) => d >= 178 && d < 209; // 2021-07-01 .. 2021-07-31
  const span = emptySpan(log(546, () => 27, july));
  expect(span).toEqual({ from: "2021-07-01", to: "2021-07-31", days: 31, expected: 837 });
  expect(emptySpanWarning(span!)).toStartWith(
    "WARNING: no purchase at all from 2021-07-01 to 2021-07-31 (31 days), where the days around it give about 837 purchase days",
  );
  expect(emptySpan(log(546, () => 27))).toBeNull();
});

test("a closed week, a quiet shop, and a log dated weekly or monthly are not named", () => {
  // Closed for the holidays: 7 days of a shop selling 3 a day (21 expected).
  expect(
    emptySpan(
      log(
        365,
        () => 3,
        (d) => d >= 350 && d < 357,
      ),
    ),
  ).toBeNull();
  // A shop with a sale on some days only: long runs without one are its normal.
  expect(emptySpan(log(365, (d) => (d % 9 === 0 ? 40 : 0)))).toBeNull();
  // Every purchase dated the first of its month (an export by month): 30-day runs, 900 a month.
  expect(emptySpan(log(365, (d) => (d % 30 === 0 ? 900 : 0)))).toBeNull();
  // Weekly-dated: six empty days in seven.
  expect(emptySpan(log(365, (d) => (d % 7 === 0 ? 200 : 0)))).toBeNull();
});
