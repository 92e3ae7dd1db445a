// Purchase days whose spend is a thousand times the usual one are seldom ordinary sales: a
// quantity or an id read as an amount, a test order, a wholesale order later cancelled. Gamma-
// Gamma pools every customer's spend, so one such day moves every other customer's spend forecast
// (one day of 1e9 among 5,470 of about 35 moved them by −33% to +14%, silently). The read names
// them and leaves the choice to the user, as for a dominant customer.
import { selectRanks } from "../../forecasting/order-statistics.ts";
import type { TransactionLog } from "../transaction-log.ts";

export interface ExtremeAmounts {
  /** Purchase days over FACTOR times the median. */
  days: number;
  /** The median spend of a purchase day (of a sample, for a large log). */
  median: number;
  largest: number;
  /** The customer of the largest one. */
  customer: string;
  /** Their share of all spend. */
  spend_share: number;
}

/** How many times the median spend of a purchase day makes one extreme. */
const EXTREME_FACTOR = 1000;
/** Fewer purchase days than this: too few to say what is usual. */
const MIN_DAYS = 100;
/** The median is taken on at most this many days (every k-th). */
const MEDIAN_SAMPLE = 100_000;

/**
 * The sample's middle value as a sort would place it, found by a selection: sorting 200,000 days
 * took ~8 ms of a read, selecting ~2.
 */
function medianSpend(log: TransactionLog): number {
  const stride = Math.max(1, Math.floor(log.length / MEDIAN_SAMPLE));
  const sample = new Float64Array(Math.ceil(log.length / stride));
  let n = 0;
  for (let i = 0; i < log.length; i += stride) {
    const amount = log.amount[i]!;
    if (amount > 0) sample[n++] = amount;
  }
  if (n === 0) return 0;
  const positive = sample.subarray(0, n);
  const middle = Math.floor(n / 2);
  selectRanks(positive, [middle]);
  return positive[middle]!;
}

/** The purchase days over EXTREME_FACTOR times the median spend, or null when there are none. */
export function extremeAmounts(log: TransactionLog): ExtremeAmounts | null {
  if (log.length < MIN_DAYS) return null;
  const median = medianSpend(log);
  if (!(median > 0)) return null;
  const bound = EXTREME_FACTOR * median;
  let [days, extreme, total, largest, at] = [0, 0, 0, 0, -1];
  for (let i = 0; i < log.length; i++) {
    const amount = log.amount[i]!;
    total += amount;
    if (amount <= bound) continue;
    days++;
    extreme += amount;
    if (amount > largest) [largest, at] = [amount, i];
  }
  if (days === 0) return null;
  const customer = log.customerIds[log.customer[at]!]!;
  return { days, median, largest, customer, spend_share: extreme / total };
}

/** The CLI's and report's warning. */
export function extremeAmountsWarning(e: ExtremeAmounts): string {
  const n = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  const share = e.spend_share < 0.005 ? "<1%" : `${(e.spend_share * 100).toFixed(0)}%`;
  return (
    `WARNING: ${n(e.days)} purchase day(s) spend over ${n(EXTREME_FACTOR)} times the median (${n(e.median)}), ` +
    `${share} of all spend; the largest ${n(e.largest)} by customer "${e.customer}": Gamma-Gamma pools ` +
    "every customer's spend, so such days move everyone's spend forecast; check them at their source " +
    "(a quantity or an id read as an amount, a test or cancelled order) and leave them out if they are no sales"
  );
}
