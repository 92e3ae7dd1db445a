// Orders the rows of a transaction log by (customer, day) with two stable counting sorts, so that
// per-customer passes (summaries, feature vectors) are one linear sweep. Runtime-neutral.

import type { TransactionLog } from "../data/transaction-log.ts";

export interface CustomerRowOrder {
  /** Row indices sorted by customer, then day (then original row order). */
  order: Uint32Array;
  /** Rows of customer k are order[start[k] .. start[k + 1]). Length customers + 1. */
  start: Uint32Array;
}

/** Row starts per customer, counted (rows of customer k are start[k] .. start[k + 1]). */
function customerStarts(log: TransactionLog): Uint32Array {
  const start = new Uint32Array(log.customerIds.length + 1);
  for (let i = 0; i < log.length; i++) start[log.customer[i]! + 1]!++;
  for (let k = 1; k < start.length; k++) start[k]! += start[k - 1]!;
  return start;
}

/** True when rows already come by customer, then day (as the DuckDB input layer hands them). */
export function isOrderedByCustomerAndDay(log: TransactionLog): boolean {
  const { customer, day } = log;
  for (let i = 1; i < log.length; i++) {
    const c = customer[i]!;
    const p = customer[i - 1]!;
    if (c < p || (c === p && day[i]! < day[i - 1]!)) return false;
  }
  return true;
}

export function orderRowsByCustomerAndDay(log: TransactionLog): CustomerRowOrder {
  const n = log.length;
  const customers = log.customerIds.length;
  const { customer, day } = log;
  // Already ordered: the identity is the stable order, found in one pass instead of two sorts.
  if (isOrderedByCustomerAndDay(log)) {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return { order, start: customerStarts(log) };
  }

  // Pass 1: rows by day (counting sort when the day range is reasonable, else a comparison sort).
  let byDay: Uint32Array;
  let minDay = 0x7fffffff;
  let maxDay = -0x80000000;
  for (let i = 0; i < n; i++) {
    const d = day[i]!;
    if (d < minDay) minDay = d;
    if (d > maxDay) maxDay = d;
  }
  const range = n === 0 ? 0 : maxDay - minDay + 1;
  if (range <= 4 * n + 100_000) {
    const count = new Uint32Array(range + 1);
    for (let i = 0; i < n; i++) count[day[i]! - minDay + 1]!++;
    for (let v = 1; v <= range; v++) count[v]! += count[v - 1]!;
    byDay = new Uint32Array(n);
    for (let i = 0; i < n; i++) byDay[count[day[i]! - minDay]!++] = i;
  } else {
    byDay = new Uint32Array(n);
    for (let i = 0; i < n; i++) byDay[i] = i;
    byDay.sort((i, j) => day[i]! - day[j]! || i - j);
  }

  // Pass 2: stable by customer, which keeps day order within a customer.
  const start = customerStarts(log);
  const next = start.slice(0, customers);
  const order = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const i = byDay[j]!;
    order[next[customer[i]!]!++] = i;
  }
  return { order, start };
}
