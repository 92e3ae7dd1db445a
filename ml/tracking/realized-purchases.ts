// What happened after a model's cutoff: each known customer's purchase days in the tracking
// window, counted as the models count them (same-day transactions are one purchase).

import { purchaseDayRange, type TransactionLog } from "../data/transaction-log.ts";

export interface RealizedPurchases {
  /** Purchase days in (afterDay, throughDay], one value per entry of `customerIds`. */
  realized: Float64Array;
  /** Transactions dated inside the window (all customers). */
  transactionsInWindow: number;
  /** Customers with transactions in the window that the model did not know (new customers). */
  unknownCustomers: number;
}

/** Purchase days of `customerIds` in the window (afterDay, throughDay] (days since 1970-01-01). */
export function realizedPurchases(
  log: TransactionLog,
  customerIds: readonly string[],
  afterDay: number,
  throughDay: number,
): RealizedPurchases {
  if (!(throughDay > afterDay)) {
    throw new RangeError(`window: end day ${throughDay} must be after the cutoff day ${afterDay}`);
  }
  const target = new Map<string, number>();
  customerIds.forEach((id, i) => {
    target.set(id, i);
  });
  // Log customer number → position in customerIds (-1 = unknown to the model).
  const position = new Int32Array(log.customerIds.length).fill(-1);
  log.customerIds.forEach((id, k) => {
    position[k] = target.get(id) ?? -1;
  });
  const span = throughDay - afterDay;
  const seen = new Set<number>();
  const unknown = new Set<number>();
  const realized = new Float64Array(customerIds.length);
  let transactionsInWindow = 0;
  for (let row = 0; row < log.length; row++) {
    // row < length: the ?? fallbacks never apply (they satisfy the index types).
    const day = log.day[row] ?? Number.NaN;
    if (day <= afterDay || day > throughDay) continue;
    transactionsInWindow++;
    const k = log.customer[row] ?? 0;
    const i = position[k] ?? -1;
    if (i < 0) {
      unknown.add(k);
      continue;
    }
    const key = i * span + (day - afterDay - 1);
    if (!seen.has(key)) {
      seen.add(key);
      realized[i] = (realized[i] ?? 0) + 1;
    }
  }
  return { realized, transactionsInWindow, unknownCustomers: unknown.size };
}

/** The last transaction day in the log (NaN when it is empty). */
export function lastTransactionDay(log: TransactionLog): number {
  return purchaseDayRange(log).last;
}
