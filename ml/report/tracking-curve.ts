// Weekly cumulative repeat transactions of the calibration cohort, actual and as each model expects
// them: sum over customers of E[X(t)] for a new customer, t counted from their first purchase.

import type { TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { orderRowsByCustomerAndDay } from "../features/row-order.ts";
import { unitDays } from "../features/summaries.ts";
import type { CumulativeRow } from "./report-html.ts";

export interface TrackingCurve {
  rows: CumulativeRow[];
  /** Week (since the first purchase of the data) at which calibration ends. */
  calibrationEndWeek: number;
}

/**
 * `expectations` maps a series name to E[X(t)] of a newly acquired customer (t in time units).
 * Weeks run from the earliest first purchase to `endDay` (inclusive); the point for week w covers
 * purchases up to the end of its seventh day.
 */
export function trackingCurve(
  log: TransactionLog,
  summaries: CustomerSummaries,
  endDay: number,
  calibrationEndDay: number,
  expectations: Record<string, (t: number) => number>,
): TrackingCurve {
  const unit = unitDays(summaries.options.timeUnit);
  const firstDays = summaries.firstDay.subarray(0, summaries.n);
  let minFirst = Number.POSITIVE_INFINITY;
  for (const f of firstDays) minFirst = Math.min(minFirst, f);
  if (!Number.isFinite(minFirst)) return { rows: [], calibrationEndWeek: 0 };
  const weeks = Math.ceil((endDay - minFirst + 1) / 7);
  const weekEnd = (w: number) => Math.min(minFirst + 7 * w - 1, endDay);

  const perWeek = repeatPurchaseDaysPerWeek(log, summaries, minFirst, weeks, endDay);
  // Expected: customers grouped by first purchase day (cohorts), one E[X(t)] per cohort and week.
  const cohorts = new Map<number, number>();
  for (const f of firstDays) cohorts.set(f, (cohorts.get(f) ?? 0) + 1);
  const rows: CumulativeRow[] = [];
  let cumulative = 0;
  perWeek.subarray(1).forEach((purchases, i) => {
    cumulative += purchases;
    rows.push({ week: i + 1, series: "actual", repeat_transactions: cumulative });
  });
  for (const [series, expected] of Object.entries(expectations)) {
    for (let w = 1; w <= weeks; w++) {
      const end = weekEnd(w);
      let sum = 0;
      for (const [f, count] of cohorts) {
        if (f < end) sum += count * expected((end - f) / unit);
      }
      rows.push({ week: w, series, repeat_transactions: sum });
    }
  }
  return { rows, calibrationEndWeek: (calibrationEndDay - minFirst + 1) / 7 };
}

/**
 * Actual: repeat purchase days (same-day transactions merged) of summarised customers up to
 * `endDay`, counted in the week (1..weeks, from `minFirst`) they fall in; index 0 is unused.
 */
function repeatPurchaseDaysPerWeek(
  log: TransactionLog,
  summaries: CustomerSummaries,
  minFirst: number,
  weeks: number,
  endDay: number,
): Float64Array {
  const included = new Uint8Array(log.customerIds.length);
  const summarised = new Set(summaries.ids);
  log.customerIds.forEach((id, k) => {
    if (summarised.has(id)) included[k] = 1;
  });
  const perWeek = new Float64Array(weeks + 1);
  const { order, start } = orderRowsByCustomerAndDay(log);
  included.forEach((isIncluded, k) => {
    // start has one entry per customer plus the end, so the ?? fallbacks never apply.
    const rows = order.subarray(start[k] ?? 0, start[k + 1] ?? 0);
    if (!isIncluded || rows.length === 0) return;
    let previous = log.day[rows[0] ?? 0];
    for (const row of rows.subarray(1)) {
      const d = log.day[row] ?? Number.NaN;
      if (d > endDay) break;
      if (d !== previous) {
        const w = Math.floor((d - minFirst) / 7) + 1;
        perWeek[w] = (perWeek[w] ?? 0) + 1;
      }
      previous = d;
    }
  });
  return perWeek;
}
