// The log as the shop knew it at a cutoff: knownAt undoes the returns the reader netted (with
// hindsight) into purchase days on or before the cutoff but made after it. Runtime-neutral.

import type { TransactionLog } from "./transaction-log.ts";

/**
 * The purchase days (ordered by customer, then day) that a return made after the day was netted
 * into, each with every return netted into it: whether a day is cancelled in full depends on all.
 */
export interface LaterReturns {
  /** The log's last purchase day: a cutoff on or after it sees the log as read (all known). */
  through: number;
  /**
   * The log's customer ids, then those whose every purchase day a later return cancelled (the log
   * as read has none of their days; numbered after the log's own).
   */
  customerIds: string[];
  customer: Uint32Array;
  day: Int32Array;
  /** The day's spend and items before any return. */
  bought: Float64Array;
  items: Float64Array;
  /** The returns of day j are start[j] .. start[j + 1], ordered by the day they were made. */
  start: Uint32Array;
  returnedOn: Int32Array;
  value: Float64Array;
  quantity: Float64Array;
  /** 1 when the return names the day's order. */
  byOrder: Uint8Array;
  /**
   * Per day, the cutoff its spend is as known at in the log this belongs to (knownAt's); absent
   * in the log as read, whose every day is netted by all its returns.
   */
  seenAt?: Float64Array;
}

/** The cutoff of the log as read: every return known. */
const AS_READ = Number.POSITIVE_INFINITY;

/**
 * Day j's spend as known at `cutoff`: netted by the returns made by then, or null when they cancel
 * it in full (netReturnsSql's rule: those naming its orders made by some date up to it, or those
 * made that day, equal its spend and take back all its items). Returns after that date do not
 * bring it back: they are beyond the purchases netted against, as in the log as read.
 */
function spendAt(later: LaterReturns, j: number, cutoff: number): number | null {
  const bought = later.bought[j]!;
  const items = later.items[j]!;
  const all = { value: 0, quantity: 0 };
  const byOrder = { value: 0, quantity: 0 };
  const sameDay = { value: 0, quantity: 0 };
  const end = later.start[j + 1]!;
  let known = 0;
  // The returns of a day are ordered by the day they were made.
  for (let r = later.start[j]!; r < end; r++) {
    const on = later.returnedOn[r]!;
    if (on > cutoff) break;
    known++;
    const sums = [all];
    if (later.byOrder[r] === 1) sums.push(byOrder);
    if (on === later.day[j]) sums.push(sameDay);
    for (const s of sums) {
      s.value += later.value[r]!;
      s.quantity += later.quantity[r]!;
    }
    const lastOfDate = r + 1 === end || later.returnedOn[r + 1] !== on;
    if (
      lastOfDate &&
      (cancelsInFull(byOrder, bought, items) || cancelsInFull(sameDay, bought, items))
    )
      return null;
  }
  return known === 0 ? bought : Math.max(bought - all.value, 0);
}

/** True when returns so far (`so`) cancel a day that bought `bought` in `items` items in full. */
function cancelsInFull(so: { value: number; quantity: number }, bought: number, items: number) {
  return bought > 0 && Math.abs(so.value - bought) <= bought * 1e-9 && so.quantity >= items;
}

/** True when day j's returns made by cutoff `a` are not those made by cutoff `b`. */
function returnsBetween(later: LaterReturns, j: number, a: number, b: number): boolean {
  const from = Math.min(a, b);
  const to = Math.max(a, b);
  for (let r = later.start[j]!; r < later.start[j + 1]!; r++) {
    const on = later.returnedOn[r]!;
    if (on > from && on <= to) return true;
  }
  return false;
}

/** The days on or before `cutoff` whose spend at it is not the one the log shows. */
function daysChangedAt(later: LaterReturns, cutoff: number): number[] {
  const changed: number[] = [];
  for (let j = 0; j < later.day.length; j++) {
    if (later.day[j]! > cutoff) continue;
    if (returnsBetween(later, j, cutoff, later.seenAt?.[j] ?? AS_READ)) changed.push(j);
  }
  return changed;
}

/** `later` for a log whose days up to `cutoff` are as known at it. */
function seenUpTo(later: LaterReturns, cutoff: number): LaterReturns {
  const seenAt = later.seenAt?.slice() ?? new Float64Array(later.day.length).fill(AS_READ);
  for (let j = 0; j < seenAt.length; j++) if (later.day[j]! <= cutoff) seenAt[j] = cutoff;
  return { ...later, seenAt };
}

/** The first row of `log` at or after (customer c, day d), from row `from` (rows are ordered). */
function rowAtOrAfter(log: TransactionLog, c: number, d: number, from: number): number {
  let lo = from;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = log.customer[mid]!;
    if (k < c || (k === c && log.day[mid]! < d)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The log as known at `cutoff`: each purchase day on or before it netted only by the returns made
 * by then (a day a later return cancelled is back), the days after it as in `log`. `log` itself
 * when that changes nothing, as at the log's last day. Of a log already known at a later cutoff
 * (a past --as-of), the days up to this one are as known at it too. Asked again for the same log
 * and cutoff, the same copy (lastKnown).
 */
export function knownAt(log: TransactionLog, cutoff: number): TransactionLog {
  const later = log.laterReturns;
  if (later === undefined) return log;
  // Returns dated after the log's last purchase are known at its end, as the log as read has them.
  const at = cutoff >= later.through ? AS_READ : cutoff;
  const last = lastKnown.get(log);
  if (last?.at === at) return last.known;
  const changed = daysChangedAt(later, at);
  if (changed.length === 0) return log;
  const known = amended(log, later, changed, at);
  lastKnown.set(log, { at, known });
  return known;
}

/**
 * Each log's last copy as known at a cutoff, by log object (logs are not changed once read): a
 * training run asks for the same cutoff twice, in summarize and in buildFeatureMatrix, and each
 * asked for its own copy of the whole log. One per log, replaced when another cutoff is asked for:
 * a log keeps at most one copy alive, and none once it is itself unreachable.
 */
const lastKnown = new WeakMap<TransactionLog, { at: number; known: TransactionLog }>();

/** `log` with the days `changed` (indices into `later`) as known at `cutoff`, still ordered. */
function amended(
  log: TransactionLog,
  later: LaterReturns,
  changed: number[],
  cutoff: number,
): TransactionLog {
  const size = log.length + changed.length;
  const customer = new Uint32Array(size);
  const day = new Int32Array(size);
  const amount = new Float64Array(size);
  const quantity = log.quantity ? new Float64Array(size) : null;
  let i = 0;
  let m = 0;
  // Rows [i, to) of the log copied as they are, in blocks.
  const copyTo = (to: number) => {
    customer.set(log.customer.subarray(i, to), m);
    day.set(log.day.subarray(i, to), m);
    amount.set(log.amount.subarray(i, to), m);
    quantity?.set((log.quantity as Float64Array).subarray(i, to), m);
    m += to - i;
    i = to;
  };
  for (const j of changed) {
    const c = later.customer[j]!;
    const d = later.day[j]!;
    copyTo(rowAtOrAfter(log, c, d, i));
    const spend = spendAt(later, j, cutoff);
    if (spend !== null) {
      customer[m] = c;
      day[m] = d;
      amount[m] = spend;
      if (quantity) quantity[m] = later.items[j]!;
      m++;
    }
    if (i < log.length && log.customer[i] === c && log.day[i] === d) i++;
  }
  copyTo(log.length);
  return {
    customerIds: later.customerIds,
    customer: customer.subarray(0, m),
    day: day.subarray(0, m),
    amount: amount.subarray(0, m),
    quantity: quantity ? quantity.subarray(0, m) : null,
    length: m,
    laterReturns: seenUpTo(later, cutoff),
  };
}
