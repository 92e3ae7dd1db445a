// Purchase lines → purchase days, in JavaScript. DuckDB hands over every purchase line as
// (customer number, day, amount, quantity) ordered by customer and day, which spares it a GROUP BY
// over millions of (customer, day) keys, the costliest step of doing it in SQL; one sequential pass
// merges the lines of a day in place. The log stays ordered, which the later passes (summaries,
// feature vectors) detect and use.

import { isOrderedByCustomerAndDay, orderRowsByCustomerAndDay } from "../../features/row-order.ts";
import type { TransactionLog } from "../transaction-log.ts";

/** Lines in (customer, day) order: the rows themselves, else put in order (two counting sorts). */
function ordered(lines: TransactionLog): TransactionLog {
  if (isOrderedByCustomerAndDay(lines)) return lines;
  const { order } = orderRowsByCustomerAndDay(lines);
  const n = lines.length;
  const out: TransactionLog = {
    customerIds: lines.customerIds,
    customer: new Uint32Array(n),
    day: new Int32Array(n),
    amount: new Float64Array(n),
    quantity: lines.quantity ? new Float64Array(n) : null,
    length: n,
  };
  const quantityIn = lines.quantity;
  const quantityOut = out.quantity;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    out.customer[j] = lines.customer[i]!;
    out.day[j] = lines.day[i]!;
    out.amount[j] = lines.amount[i]!;
    if (quantityOut && quantityIn) quantityOut[j] = quantityIn[i]!;
  }
  return out;
}

/**
 * One row per customer and day (amounts and quantities summed, each in ascending order), ordered
 * by customer, then day. Reuses the arrays of `lines` when they come ordered.
 */
export function mergeSameDayLines(lines: TransactionLog): TransactionLog {
  const { customerIds, customer, day, amount, quantity, length: n } = ordered(lines);
  let m = 0;
  for (let i = 0; i < n; ) {
    const c = customer[i]!;
    const d = day[i]!;
    let end = i + 1;
    while (end < n && customer[end] === c && day[end] === d) end++;
    customer[m] = c;
    day[m] = d;
    amount[m] = sumInOrder(amount, i, end);
    if (quantity) quantity[m] = sumInOrder(quantity, i, end);
    m++;
    i = end;
  }
  return {
    customerIds,
    customer: customer.subarray(0, m),
    day: day.subarray(0, m),
    amount: amount.subarray(0, m),
    quantity: quantity ? quantity.subarray(0, m) : null,
    length: m,
  };
}

/**
 * The sum of values[from, to) in ascending order: a parallel sort delivers a day's lines in any
 * order, and in floating point the order changes the last bit (0.3 + 0.2 + 0.1 = 0.6, 0.1 + 0.2 +
 * 0.3 = 0.6000000000000001), so the same log read twice gave summaries and models that differed.
 */
function sumInOrder(values: Float64Array, from: number, to: number): number {
  if (to - from === 1) return values[from]!;
  const sorted = values.slice(from, to).sort();
  let sum = 0;
  for (let k = 0; k < sorted.length; k++) sum += sorted[k]!;
  return sum;
}
