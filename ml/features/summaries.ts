// Computes per-customer summaries (x, t_x, T, mean repeat spend, holdout actuals) from a
// transaction log in one linear sweep over rows ordered by (customer, day). Runtime-neutral.

import { knownAt } from "../data/later-returns.ts";
import { isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries, SummaryOptions } from "./customer-summaries.ts";
import { orderRowsByCustomerAndDay } from "./row-order.ts";

/** Days per time unit. */
export function unitDays(timeUnit: SummaryOptions["timeUnit"]): number {
  if (timeUnit === "day") return 1;
  if (timeUnit === "week") return 7;
  throw new RangeError(`timeUnit: expected "day" or "week", got ${JSON.stringify(timeUnit)}`);
}

/** Calibration and holdout end as day numbers; throws a RangeError naming the bad option. */
export function summaryWindow(opts: SummaryOptions): {
  calibrationEnd: number;
  holdoutEnd: number;
} {
  const calibrationEnd = isoDateToDay(opts.calibrationEnd);
  if (Number.isNaN(calibrationEnd)) {
    throw new RangeError(
      `calibrationEnd: not a YYYY-MM-DD date: ${JSON.stringify(opts.calibrationEnd)}`,
    );
  }
  if (opts.holdoutEnd === undefined) return { calibrationEnd, holdoutEnd: calibrationEnd };
  const holdoutEnd = isoDateToDay(opts.holdoutEnd);
  if (Number.isNaN(holdoutEnd)) {
    throw new RangeError(`holdoutEnd: not a YYYY-MM-DD date: ${JSON.stringify(opts.holdoutEnd)}`);
  }
  if (holdoutEnd < calibrationEnd) {
    throw new RangeError(
      `holdoutEnd: ${opts.holdoutEnd} is before calibrationEnd ${opts.calibrationEnd}`,
    );
  }
  return { calibrationEnd, holdoutEnd };
}

/**
 * Summaries of every customer whose first purchase is on or before the calibration end, in the
 * order of `log.customerIds`. Transactions after the holdout end are ignored, and returns made
 * after the calibration end are not netted from the days before it (knownAt).
 */
export function summarize(given: TransactionLog, opts: SummaryOptions): CustomerSummaries {
  const unit = unitDays(opts.timeUnit);
  const { calibrationEnd, holdoutEnd } = summaryWindow(opts);
  // The calibration sees only the returns made by its end (the holdout's days are as read).
  const log = knownAt(given, calibrationEnd);
  const { order, start } = orderRowsByCustomerAndDay(log);
  const customers = log.customerIds.length;
  const { day, amount } = log;

  const ids: string[] = [];
  const x = new Float64Array(customers);
  const tx = new Float64Array(customers);
  const T = new Float64Array(customers);
  const monetary = new Float64Array(customers);
  const firstSpend = new Float64Array(customers);
  const firstDay = new Int32Array(customers);
  const holdoutPurchases = new Float64Array(customers);
  const holdoutSpend = new Float64Array(customers);
  let excluded = 0;
  let m = 0;

  for (let k = 0; k < customers; k++) {
    const from = start[k]!;
    const to = start[k + 1]!;
    if (from === to) continue; // an id without rows has nothing to summarise
    const first = day[order[from]!]!;
    if (first > calibrationEnd) {
      excluded++;
      continue;
    }
    let repeatDays = 0;
    let lastDay = first;
    let firstDaySpend = 0;
    let repeatSpend = 0;
    let holdoutDays = 0;
    let holdoutTotal = 0;
    let previous = first - 1;
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      const d = day[i]!;
      if (d > holdoutEnd) break;
      const a = amount[i]!;
      if (d === first) {
        firstDaySpend += a;
      } else if (d <= calibrationEnd) {
        if (d !== previous) repeatDays++;
        repeatSpend += a;
        lastDay = d;
      } else {
        if (d !== previous) holdoutDays++;
        holdoutTotal += a;
      }
      previous = d;
    }
    ids.push(log.customerIds[k] as string);
    x[m] = repeatDays;
    tx[m] = (lastDay - first) / unit;
    T[m] = (calibrationEnd - first) / unit;
    monetary[m] = repeatDays > 0 ? repeatSpend / repeatDays : 0;
    firstSpend[m] = firstDaySpend;
    firstDay[m] = first;
    holdoutPurchases[m] = holdoutDays;
    holdoutSpend[m] = holdoutTotal;
    m++;
  }

  return {
    ids,
    n: m,
    x: x.slice(0, m),
    tx: tx.slice(0, m),
    T: T.slice(0, m),
    monetary: monetary.slice(0, m),
    firstSpend: firstSpend.slice(0, m),
    firstDay: firstDay.slice(0, m),
    holdoutPurchases: holdoutPurchases.slice(0, m),
    holdoutSpend: holdoutSpend.slice(0, m),
    holdoutLength: (holdoutEnd - calibrationEnd) / unit,
    excludedAfterCalibration: excluded,
    options: { ...opts },
  };
}
