import { expect, test } from "bun:test";
import { isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import { bgnbdExpectedPurchases } from "../models/bgnbd.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import {
  buildFeatureMatrix,
  buildFeatureVector,
  FEATURE_COUNT,
  FEATURE_LAYOUT,
  type FeatureTransaction,
} from "./feature-vector.ts";
import { summarize } from "./summaries.ts";

const btyd = {
  bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
  paretoNbd: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 },
};

function customerTransactions(log: TransactionLog, k: number): FeatureTransaction[] {
  const out: FeatureTransaction[] = [];
  for (let i = 0; i < log.length; i++) {
    if (log.customer[i] !== k) continue;
    const t: FeatureTransaction = { day: log.day[i]!, amount: log.amount[i]! };
    if (log.quantity) t.quantity = log.quantity[i]!;
    out.push(t);
  }
  return out;
}

test("the layout names every column once", () => {
  expect(new Set(FEATURE_LAYOUT.names).size).toBe(FEATURE_COUNT);
  expect(FEATURE_LAYOUT.version).toBe("1");
});

test("hand-computed features of one customer (weeks, same-day purchases merged)", () => {
  const b = new TransactionLogBuilder({ withQuantity: true });
  const c = b.customerNumber("c1");
  const d0 = isoDateToDay("2024-01-01");
  b.push(c, d0, 10, 1);
  b.push(c, d0 + 14, 20, 2);
  b.push(c, d0 + 14, 5, 1); // same day: one purchase day of 25
  b.push(c, d0 + 42, 40, 3);
  b.push(c, d0 + 100, 999, 9); // after the cutoff: ignored
  const log = b.finish();
  const cutoffDay = d0 + 56;
  const summaries = summarize(log, { calibrationEnd: "2024-02-26", timeUnit: "week" });
  const row = buildFeatureMatrix(log, summaries, {
    cutoffDay,
    timeUnit: "week",
    horizon: 10,
    btyd,
  });
  const f = Object.fromEntries(FEATURE_LAYOUT.names.map((n, j) => [n, row[j]]));
  expect(f.x).toBe(2);
  expect(f.t_x).toBe(6);
  expect(f.T).toBe(8);
  expect(f.recency).toBe(2);
  expect(f.purchase_rate).toBeCloseTo(0.25, 6);
  expect(f.ipt_mean).toBe(3); // gaps 2 and 4 weeks
  expect(f.ipt_var).toBe(2); // ((2-3)^2 + (4-3)^2) / 1
  expect(f.transactions).toBe(4);
  expect(f.spend_total).toBe(75);
  expect(f.spend_mean).toBe(25);
  expect(f.spend_max).toBe(40);
  expect(f.spend_trend).toBeCloseTo(15, 5); // spends 10, 25, 40 over index 0, 1, 2
  expect(f.monetary).toBeCloseTo(32.5, 5);
  expect(f.first_spend).toBe(10);
  expect(f.purchases_last_4w).toBe(1); // day 42 is 14 days before the cutoff
  expect(f.purchases_last_13w).toBe(3);
  expect(f.purchases_last_26w).toBe(3);
  expect(f.quantity_total).toBe(7);
  expect(f.quantity_mean).toBeCloseTo(7 / 3, 5);
  expect(f.bgnbd_expected).toBeCloseTo(bgnbdExpectedPurchases(btyd.bgnbd, 10, 2, 6, 8), 5);
  expect(f.bgnbd_p_alive).toBeGreaterThan(0);
  expect(f.bgnbd_p_alive).toBeLessThanOrEqual(1);
  expect(f.bgnbd_p_any).toBeLessThanOrEqual(f.bgnbd_p_alive!);
});

test("matrix rows equal single-customer vectors on a simulated population (day and week units)", () => {
  const population = simulateBgNbd(btyd.bgnbd, {
    customers: 400,
    seed: 3,
    start: "2024-01-01",
    timeUnit: "week",
  });
  const { log } = population;
  for (const timeUnit of ["week", "day"] as const) {
    const summaries = summarize(log, {
      calibrationEnd: "2024-09-29",
      holdoutEnd: "2025-06-29",
      timeUnit,
    });
    const cutoffDay = isoDateToDay("2024-09-29");
    const opts = { timeUnit, horizon: summaries.holdoutLength, btyd };
    const X = buildFeatureMatrix(log, summaries, { ...opts, cutoffDay });
    expect(X.length).toBe(summaries.n * FEATURE_COUNT);
    const numberOf = new Map(log.customerIds.map((id, k) => [id, k]));
    let repeaters = 0;
    for (let i = 0; i < summaries.n; i++) {
      const transactions = customerTransactions(log, numberOf.get(summaries.ids[i]!) as number);
      // A different input order must not matter.
      const v = buildFeatureVector(transactions.reverse(), cutoffDay, opts);
      expect(Array.from(v)).toEqual(
        Array.from(X.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
      );
      // The first three columns agree with the summaries (x, t_x, T).
      expect(v[0]).toBe(Math.fround(summaries.x[i]!));
      expect(v[1]).toBe(Math.fround(summaries.tx[i]!));
      expect(v[2]).toBe(Math.fround(summaries.T[i]!));
      if (summaries.x[i]! > 0) repeaters++;
    }
    expect(repeaters).toBeGreaterThan(50);
  }
});

test("a customer with no purchase before the cutoff is refused", () => {
  expect(() =>
    buildFeatureVector([{ day: 100, amount: 1 }], 50, { timeUnit: "week", horizon: 1, btyd }),
  ).toThrow(/no purchase/);
});
