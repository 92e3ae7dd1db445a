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
  let minFirst = Number.POSITIVE_INFINITY;
  for (let i = 0; i < summaries.n; i++) minFirst = Math.min(minFirst, summaries.firstDay[i]);
  if (!Number.isFinite(minFirst)) return { rows: [], calibrationEndWeek: 0 };
  const weeks = Math.ceil((endDay - minFirst + 1) / 7);
  const weekEnd = (w: number) => Math.min(minFirst + 7 * w - 1, endDay);

  // Actual: repeat purchase days (same-day transactions merged) of summarised customers.
  const included = new Uint8Array(log.customerIds.length);
  const summarised = new Set(summaries.ids);
  log.customerIds.forEach((id, k) => {
    if (summarised.has(id)) included[k] = 1;
  });
  const perWeek = new Float64Array(weeks + 1);
  const { order, start } = orderRowsByCustomerAndDay(log);
  for (let k = 0; k < log.customerIds.length; k++) {
    if (!included[k] || start[k] === start[k + 1]) continue;
    const first = log.day[order[start[k]]];
    let previous = first;
    for (let j = start[k] + 1; j < start[k + 1]; j++) {
      const d = log.day[order[j]];
      if (d > endDay) break;
      if (d !== previous) perWeek[Math.floor((d - minFirst) / 7) + 1]++;
      previous = d;
    }
  }

  // Expected: customers grouped by first purchase day (cohorts), one E[X(t)] per cohort and week.
  const cohorts = new Map<number, number>();
  for (let i = 0; i < summaries.n; i++) {
    const f = summaries.firstDay[i];
    cohorts.set(f, (cohorts.get(f) ?? 0) + 1);
  }
  const rows: CumulativeRow[] = [];
  let cumulative = 0;
  for (let w = 1; w <= weeks; w++) {
    cumulative += perWeek[w];
    rows.push({ week: w, series: "actual", repeat_transactions: cumulative });
  }
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
