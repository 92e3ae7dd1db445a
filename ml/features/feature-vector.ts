// Per-customer feature vectors for the gradient-boosted models, computed at a cutoff from the
// calibration period only: RFM and beyond, plus BG/NBD and Pareto/NBD forecasts as features.
// Runtime-neutral: the training pipeline builds a matrix, the forecast service one vector at a time,
// and both go through the same code so they give the same numbers.

import { knownAt } from "../data/later-returns.ts";
import type { TransactionLog } from "../data/transaction-log.ts";
import { type BtydParams, btydFeatures } from "./btyd-features.ts";
import type { CustomerSummaries, TimeUnit } from "./customer-summaries.ts";
import { orderRowsByCustomerAndDay } from "./row-order.ts";

export type { BtydParams } from "./btyd-features.ts";

/** Column order of the feature matrix; bump `version` whenever names or meanings change. */
export const FEATURE_LAYOUT = {
  version: "1",
  names: [
    "x", // repeat purchase days
    "t_x", // time of last purchase day minus first (time units)
    "T", // time since the first purchase (time units)
    "recency", // time since the last purchase day, T - t_x
    "purchase_rate", // x / T
    "ipt_mean", // mean time between purchase days (0 without repeats)
    "ipt_var", // variance of the time between purchase days (0 with fewer than two gaps)
    "transactions", // transaction rows (several may share one day)
    "spend_total",
    "spend_mean", // mean spend per purchase day, first day included
    "spend_max", // largest spend of one purchase day
    "spend_trend", // least-squares slope of purchase-day spend over purchase index
    "monetary", // mean spend per repeat purchase day (the Gamma-Gamma input)
    "first_spend", // spend of the first purchase day
    "purchases_last_4w", // purchase days in the last 28 days up to the cutoff
    "purchases_last_13w",
    "purchases_last_26w",
    "quantity_mean", // per purchase day; 0 when the log has no quantity
    "quantity_total",
    "bgnbd_expected", // BG/NBD expected purchases over the horizon
    "bgnbd_p_alive",
    "bgnbd_p_any", // BG/NBD P(at least one purchase over the horizon)
    "pnbd_expected", // Pareto/NBD expected purchases over the horizon
    "pnbd_p_alive",
  ],
} as const;

export type FeatureName = (typeof FEATURE_LAYOUT.names)[number];
export const FEATURE_COUNT = FEATURE_LAYOUT.names.length;

export interface FeatureOptions {
  /** Last day of the calibration period (days since 1970-01-01), inclusive. */
  cutoffDay: number;
  timeUnit: TimeUnit;
  /** Forecast horizon in time units (the holdout length when training). */
  horizon: number;
  /** Fitted BG/NBD and Pareto/NBD parameters whose forecasts become features. */
  btyd: BtydParams;
}

/** One transaction as the forecast service receives it. */
export interface FeatureTransaction {
  day: number;
  amount: number;
  quantity?: number;
}

const WINDOW_DAYS = [28, 91, 182] as const;

/** Scratch buffers of one customer's purchase days (same-day transactions merged). */
class PurchaseDays {
  day = new Int32Array(64);
  spend = new Float64Array(64);
  quantity = new Float64Array(64);
  count = 0;
  transactions = 0;

  reset(): void {
    this.count = 0;
    this.transactions = 0;
  }

  /** Adds a transaction; days must arrive in non-decreasing order. */
  add(day: number, amount: number, quantity: number): void {
    this.transactions++;
    const c = this.count;
    if (c > 0 && this.day[c - 1] === day) {
      this.spend[c - 1]! += amount;
      this.quantity[c - 1]! += quantity;
      return;
    }
    if (c === this.day.length) this.grow();
    this.day[c] = day;
    this.spend[c] = amount;
    this.quantity[c] = quantity;
    this.count = c + 1;
  }

  private grow(): void {
    const size = this.day.length * 2;
    const day = new Int32Array(size);
    day.set(this.day);
    this.day = day;
    const spend = new Float64Array(size);
    spend.set(this.spend);
    this.spend = spend;
    const quantity = new Float64Array(size);
    quantity.set(this.quantity);
    this.quantity = quantity;
  }
}

function unitDays(timeUnit: TimeUnit): number {
  if (timeUnit === "day") return 1;
  if (timeUnit === "week") return 7;
  throw new RangeError(`timeUnit: expected "day" or "week", got ${JSON.stringify(timeUnit)}`);
}

/** Writes the features of one customer (at least one purchase day) into out[offset ..]. */
function writeFeatures(
  p: PurchaseDays,
  opts: FeatureOptions,
  out: Float32Array,
  offset: number,
): void {
  const unit = unitDays(opts.timeUnit);
  const n = p.count;
  const first = p.day[0]!;
  const last = p.day[n - 1]!;
  const x = n - 1;
  const tx = (last - first) / unit;
  const T = (opts.cutoffDay - first) / unit;

  const gaps = interPurchaseTimes(p, unit, x, tx);
  const spend = spendFeatures(p);
  const recent = recentPurchases(p, opts.cutoffDay);

  const btyd = btydFeatures(opts.btyd, x, tx, T, opts.horizon);
  const values = [
    x,
    tx,
    T,
    T - tx,
    T > 0 ? x / T : 0,
    gaps.mean,
    gaps.variance,
    p.transactions,
    spend.total,
    spend.mean,
    spend.max,
    spend.trend,
    spend.monetary,
    p.spend[0],
    recent[0],
    recent[1],
    recent[2],
    spend.quantity / n,
    spend.quantity,
    btyd.bgnbdExpected,
    btyd.bgnbdPAlive,
    btyd.bgnbdPAny,
    btyd.pnbdExpected,
    btyd.pnbdPAlive,
  ];
  for (let j = 0; j < FEATURE_COUNT; j++) out[offset + j] = values[j]!;
}

/** Mean and sample variance of the times between purchase days, in time units. */
function interPurchaseTimes(p: PurchaseDays, unit: number, x: number, tx: number) {
  if (x < 1) return { mean: 0, variance: 0 };
  const mean = tx / x;
  if (x < 2) return { mean, variance: 0 };
  let ss = 0;
  for (let i = 1; i < p.count; i++) ss += ((p.day[i]! - p.day[i - 1]!) / unit - mean) ** 2;
  return { mean, variance: ss / (x - 1) };
}

/** Spend and quantity over the purchase days: totals, mean, max, trend, repeat-purchase mean. */
function spendFeatures(p: PurchaseDays) {
  const n = p.count;
  let total = 0;
  let max = 0;
  let quantity = 0;
  for (let i = 0; i < n; i++) {
    total += p.spend[i]!;
    if (p.spend[i]! > max) max = p.spend[i]!;
    quantity += p.quantity[i]!;
  }
  const mean = total / n;
  // Least-squares slope of spend over purchase index 0..n-1.
  let trend = 0;
  if (n >= 2) {
    const meanIndex = (n - 1) / 2;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (i - meanIndex) * (p.spend[i]! - mean);
      sxx += (i - meanIndex) ** 2;
    }
    trend = sxy / sxx;
  }
  // Gamma-Gamma's monetary value: the mean of the repeat purchases (the first one left out).
  const monetary = n > 1 ? (total - p.spend[0]!) / (n - 1) : 0;
  return { total, max, quantity, mean, trend, monetary };
}

/** Purchase days within each of WINDOW_DAYS before the cutoff. */
function recentPurchases(p: PurchaseDays, cutoffDay: number): number[] {
  const recent = [0, 0, 0];
  for (let i = p.count - 1; i >= 0; i--) {
    const age = cutoffDay - p.day[i]!;
    if (age >= WINDOW_DAYS[2]) break;
    for (let w = 0; w < 3; w++) if (age < WINDOW_DAYS[w]!) recent[w]!++;
  }
  return recent;
}

/**
 * The feature matrix (row-major Float32Array, FEATURE_COUNT columns), one row per customer of
 * `summaries` in its order. Only transactions on or before `opts.cutoffDay` are used.
 */
export function buildFeatureMatrix(
  given: TransactionLog,
  summaries: CustomerSummaries,
  opts: FeatureOptions,
): Float32Array {
  // Only the returns made by the cutoff are netted, as in the summaries.
  const log = knownAt(given, opts.cutoffDay);
  const numberOf = new Map<string, number>();
  for (let k = 0; k < log.customerIds.length; k++) numberOf.set(log.customerIds[k]!, k);
  const { order, start } = orderRowsByCustomerAndDay(log);
  const out = new Float32Array(summaries.n * FEATURE_COUNT);
  const p = new PurchaseDays();
  for (let row = 0; row < summaries.n; row++) {
    const k = numberOf.get(summaries.ids[row]!);
    if (k === undefined) throw new RangeError(`customer ${summaries.ids[row]} is not in the log`);
    p.reset();
    for (let j = start[k]!; j < start[k + 1]!; j++) {
      const i = order[j]!;
      const d = log.day[i]!;
      if (d > opts.cutoffDay) break;
      p.add(d, log.amount[i]!, log.quantity ? log.quantity[i]! : 0);
    }
    if (p.count === 0) {
      throw new RangeError(
        `customer ${summaries.ids[row]} has no purchase on or before the cutoff`,
      );
    }
    writeFeatures(p, opts, out, row * FEATURE_COUNT);
  }
  return out;
}

/**
 * The feature vector of one customer from their transactions (any order; those after the cutoff
 * are ignored). Gives the same numbers as the customer's row of `buildFeatureMatrix`.
 */
export function buildFeatureVector(
  transactions: readonly FeatureTransaction[],
  cutoffDay: number,
  opts: Omit<FeatureOptions, "cutoffDay">,
): Float32Array {
  const sorted = transactions.filter((t) => t.day <= cutoffDay).sort((a, b) => a.day - b.day);
  if (sorted.length === 0) {
    throw new RangeError("transactions: no purchase on or before the cutoff");
  }
  const p = new PurchaseDays();
  for (const t of sorted) p.add(t.day, t.amount, t.quantity ?? 0);
  const out = new Float32Array(FEATURE_COUNT);
  writeFeatures(p, { ...opts, cutoffDay }, out, 0);
  return out;
}
