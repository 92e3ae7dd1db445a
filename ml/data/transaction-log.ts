// The in-memory transaction log: one row per transaction, columns in typed arrays so that
// ten million rows fit in memory and every later stage can loop over them without allocation.

import { isoDateToDay } from "@pp/shared/calendar/iso-date.ts";
import type { LaterReturns } from "./later-returns.ts";
import { zonedDay } from "./zoned-day.ts";

/** A transaction log in columnar form. Row i is (customer[i], day[i], amount[i], quantity?[i]). */
export interface TransactionLog {
  /** Distinct customer ids; the index into this array is the customer number used in `customer`. */
  customerIds: string[];
  /** Per row: the customer number (index into `customerIds`). */
  customer: Uint32Array;
  /** Per row: the transaction date as whole days since 1970-01-01 (UTC). */
  day: Int32Array;
  /** Per row: the monetary value of the transaction (>= 0). */
  amount: Float64Array;
  /** Per row: the quantity bought, or null when the log has no quantity column. */
  quantity: Float64Array | null;
  /** Number of rows. The typed arrays may be longer (growth buffers); only [0, length) is valid. */
  length: number;
  /**
   * Returns netted into days before them (the DuckDB reader's, under --returns net): what a
   * summary at an earlier cutoff must not see (knownAt). Absent when there are none.
   */
  laterReturns?: LaterReturns;
}

/** One malformed row of a data file, reported with its 1-based line number. */
export interface RowError {
  line: number;
  field?: string;
  message: string;
}

/** What a reader saw: rows kept, rows rejected and (the first few hundred) reasons with line numbers. */
export interface ReadReport {
  rowsRead: number;
  rowsKept: number;
  badRows: number;
  errors: RowError[];
}

const MS_PER_DAY = 86_400_000;

export { isoDateToDay };

/** ISO date `YYYY-MM-DD` for a day number. */
export function dayToIsoDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Days a log may end before the day it is used at (a weekly export) before that is said. */
export const LOG_END_GAP_DAYS = 7;

/**
 * Refuses a window (`--window-end`) ending after the day of `now` in the shop's zone (--timezone,
 * as the log's days are read; UTC without it): days no log can hold yet would count as days
 * without purchases (a campaign report's window 61 days ahead measured a 0.5 uplift as 0.16; a
 * tracking window to 2027 measured the forecast at 0.07 of itself). In UTC, a shop in Los Angeles
 * at 19:36 could end its window tomorrow.
 */
export function refuseFutureWindowEnd(endDay: number, now: Date, timeZone = "UTC"): void {
  const today = zonedDay(now, timeZone);
  if (endDay <= today) return;
  const zone = timeZone === "UTC" ? "" : ` in ${timeZone}`;
  throw new RangeError(
    `--window-end ${dayToIsoDate(endDay)} is in the future (today is ${dayToIsoDate(today)}${zone}): ` +
      "no purchases after today can be in --data; pass a --window-end on or before today",
  );
}

/**
 * The days from a log's last purchase to `day` when more than LOG_END_GAP_DAYS, else null: the
 * days in between count as days without purchases, which is wrong if the log ends early.
 */
export function logEndGap(lastDay: number, day: number): number | null {
  const days = day - lastDay;
  return days > LOG_END_GAP_DAYS ? days : null;
}

/**
 * The first and last purchase day of a log, as day numbers; NaN for both when it is empty. Only
 * [0, length) is read: the typed arrays may be growth buffers.
 */
export function purchaseDayRange(log: TransactionLog): { first: number; last: number } {
  if (log.length === 0) return { first: Number.NaN, last: Number.NaN };
  const days = log.day.subarray(0, log.length);
  let first = days[0]!;
  let last = first;
  for (const day of days) {
    if (day < first) first = day;
    else if (day > last) last = day;
  }
  return { first, last };
}
