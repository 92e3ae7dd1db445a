import { expect, test } from "bun:test";
import { knownAt, type LaterReturns } from "./later-returns.ts";
import type { TransactionLog } from "./transaction-log.ts";

// Customer 0 bought 20 on day 1 (order cancelled on day 15) and 8 on day 5; customer 1 bought 30
// on day 6 (12 returned on day 12, without an order) and 7 on day 16; customer 2 (not in the log
// as read) bought 7 on day 2, cancelled on day 14.
const later: LaterReturns = {
  through: 20,
  customerIds: ["a", "b", "e"],
  customer: Uint32Array.from([0, 1, 2]),
  day: Int32Array.from([1, 6, 2]),
  bought: Float64Array.from([20, 30, 7]),
  items: Float64Array.from([2, 1, 1]),
  start: Uint32Array.from([0, 1, 2, 3]),
  returnedOn: Int32Array.from([15, 12, 14]),
  value: Float64Array.from([20, 12, 7]),
  quantity: Float64Array.from([2, 1, 1]),
  byOrder: Uint8Array.from([1, 0, 1]),
};
const log: TransactionLog = {
  customerIds: ["a", "b"],
  customer: Uint32Array.from([0, 0, 1, 1]),
  day: Int32Array.from([5, 20, 6, 16]),
  amount: Float64Array.from([8, 5, 18, 7]),
  quantity: Float64Array.from([1, 1, 1, 1]),
  length: 4,
  laterReturns: later,
};

/** Rows as "id day amount". */
function rows(l: TransactionLog): string[] {
  return Array.from(
    { length: l.length },
    (_, i) => `${l.customerIds[l.customer[i]!]} ${l.day[i]} ${l.amount[i]}`,
  );
}

test("knownAt: days before the cutoff netted only by the returns made by then, in order", () => {
  expect(knownAt(log, 20)).toBe(log);
  expect(knownAt(log, 16)).toBe(log);
  expect(rows(knownAt(log, 13))).toEqual([
    "a 1 20",
    "a 5 8",
    "a 20 5",
    "b 6 18",
    "b 16 7",
    "e 2 7",
  ]);
  const at10 = knownAt(log, 10);
  expect(rows(at10)).toEqual(["a 1 20", "a 5 8", "a 20 5", "b 6 30", "b 16 7", "e 2 7"]);
  expect(at10.customerIds).toEqual(["a", "b", "e"]);
  // An earlier cutoff of a log already known at a later one: the same as from the log as read.
  expect(rows(knownAt(knownAt(log, 13), 10))).toEqual(rows(at10));
  expect(rows(knownAt(at10, 13))).toEqual(rows(knownAt(log, 13)));
  // Cancelled by day 14: e is gone again.
  expect(rows(knownAt(log, 14))).toEqual(["a 1 20", "a 5 8", "a 20 5", "b 6 18", "b 16 7"]);
});

test("knownAt: asked again for the same log and cutoff, the same copy, not another", () => {
  const at13 = knownAt(log, 13);
  expect(at13).not.toBe(log);
  expect(knownAt(log, 13)).toBe(at13);
  // Another cutoff is its own copy, and the first is made again (one copy kept per log).
  const at10 = knownAt(log, 10);
  expect(at10).not.toBe(at13);
  expect(rows(at10)).toEqual(["a 1 20", "a 5 8", "a 20 5", "b 6 30", "b 16 7", "e 2 7"]);
  expect(knownAt(log, 10)).toBe(at10);
  expect(rows(knownAt(log, 13))).toEqual(rows(at13));
  // Another log object (even with the same arrays) is its own.
  const other = { ...log };
  expect(knownAt(other, 13)).not.toBe(knownAt(log, 13));
  expect(rows(knownAt(other, 13))).toEqual(rows(at13));
  // The log as known at a cutoff is itself at that cutoff: no copy.
  expect(knownAt(at13, 13)).toBe(at13);
});

test("knownAt: a day cancelled in full by some date stays cancelled whatever returns follow", () => {
  // x bought 25 on day 3, cancelled that day; returns of no known order netted into it on days 9
  // and 12 are beyond it (the log as read has no day 3). y bought 10 on day 4: 4 returned on
  // day 6 without an order, 6 by order on day 11 (not all by order: a purchase of 0 from day 11).
  const many: LaterReturns = {
    through: 20,
    customerIds: ["x", "y"],
    customer: Uint32Array.from([0, 1]),
    day: Int32Array.from([3, 4]),
    bought: Float64Array.from([25, 10]),
    items: Float64Array.from([1, 2]),
    start: Uint32Array.from([0, 3, 5]),
    returnedOn: Int32Array.from([3, 9, 12, 6, 11]),
    value: Float64Array.from([25, 25, 5, 4, 6]),
    quantity: Float64Array.from([1, 1, 1, 1, 1]),
    byOrder: Uint8Array.from([0, 0, 0, 0, 1]),
  };
  const asRead: TransactionLog = {
    customerIds: ["x", "y"],
    customer: Uint32Array.from([0, 1, 1]),
    day: Int32Array.from([20, 4, 20]),
    amount: Float64Array.from([1, 0, 1]),
    quantity: Float64Array.from([1, 2, 1]),
    length: 3,
    laterReturns: many,
  };
  expect(rows(knownAt(asRead, 5))).toEqual(["x 20 1", "y 4 10", "y 20 1"]);
  expect(rows(knownAt(asRead, 10))).toEqual(["x 20 1", "y 4 6", "y 20 1"]);
  expect(rows(knownAt(asRead, 11))).toEqual(["x 20 1", "y 4 0", "y 20 1"]);
  expect(knownAt(asRead, 12)).toBe(asRead);
});
