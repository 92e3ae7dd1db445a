// A run of days without a single purchase, in a log that has purchases on nearly every day, is
// seldom a closed shop: it is an export that misses those days. The models read it as customers
// who stopped buying: a month missing before the cutoff forecast a holdout 20% low, a cutoff
// inside it 38% low. So the read names the span; the rows are the user's to add.
import { dayToIsoDate, type TransactionLog } from "../transaction-log.ts";

export interface EmptySpan {
  /** First and last day without a purchase (ISO dates). */
  from: string;
  to: string;
  days: number;
  /** Purchase days the days around it would have put in it (their daily mean × its days). */
  expected: number;
}

/** Shorter runs pass for a closed week (holidays, a move). */
const MIN_DAYS = 7;
/** Fewer expected: a quiet shop may go that long without a sale. */
const MIN_EXPECTED = 30;
/** The other days with a purchase: below this share the log is dated weekly or monthly, or small. */
const MIN_DAYS_WITH_PURCHASES = 0.8;
/** Days on each side whose mean gives the expected count (a shop grows; far days say less). */
const AROUND = 28;

/** The empty run with the most purchase days expected in it, when one stands out so; else null. */
export function emptySpan(log: TransactionLog): EmptySpan | null {
  if (log.length === 0) return null;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < log.length; i++) {
    const d = log.day[i]!;
    if (d < first) first = d;
    if (d > last) last = d;
  }
  const perDay = new Uint32Array(last - first + 1);
  for (let i = 0; i < log.length; i++) perDay[log.day[i]! - first]!++;
  let best: EmptySpan | null = null;
  let emptyDays = 0;
  for (const [start, end] of emptyRuns(perDay)) {
    emptyDays += end - start;
    const expected = meanAround(perDay, start, end) * (end - start);
    if (end - start < MIN_DAYS || expected < MIN_EXPECTED) continue;
    if (best && expected <= best.expected) continue;
    best = {
      from: dayToIsoDate(first + start),
      to: dayToIsoDate(first + end - 1),
      days: end - start,
      expected: Math.round(expected),
    };
  }
  if (!best) return null;
  const otherDays = perDay.length - best.days;
  const withPurchases = otherDays - (emptyDays - best.days);
  return otherDays > 0 && withPurchases / otherDays >= MIN_DAYS_WITH_PURCHASES ? best : null;
}

/** [start, end) of each run of days without a purchase. */
function* emptyRuns(perDay: Uint32Array): Generator<[number, number]> {
  for (let d = 0; d < perDay.length; d++) {
    if (perDay[d] !== 0) continue;
    const start = d;
    while (d < perDay.length && perDay[d] === 0) d++;
    yield [start, d];
  }
}

/** The mean purchase days per day over AROUND days on each side of [start, end). */
function meanAround(perDay: Uint32Array, start: number, end: number): number {
  let sum = 0;
  let days = 0;
  for (let d = Math.max(0, start - AROUND); d < start; d++, days++) sum += perDay[d]!;
  for (let d = end; d < Math.min(perDay.length, end + AROUND); d++, days++) sum += perDay[d]!;
  return days > 0 ? sum / days : 0;
}

/** The CLI's and report's warning. */
export function emptySpanWarning(s: EmptySpan): string {
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    `WARNING: no purchase at all from ${s.from} to ${s.to} (${n(s.days)} days), where the days around ` +
    `it give about ${n(s.expected)} purchase days: an export that misses those days reads as customers ` +
    "who stopped buying (forecasts low; a cutoff inside it, lower still): add the missing rows " +
    "(a shop closed those days can leave them out)"
  );
}
