import { expect, test } from "bun:test";
import { orderRowsByCustomerAndDay } from "../../features/row-order.ts";
import { createSeededRandom } from "../../random/seeded-random.ts";
import type { TransactionLog } from "../transaction-log.ts";
import { mergeSameDayLines } from "./purchase-days.ts";

type Row = [customer: number, day: number, amount: number, quantity: number];

function log(rows: Row[], customers = 3): TransactionLog {
  return {
    customerIds: Array.from({ length: customers }, (_, k) => `c${k}`),
    customer: Uint32Array.from(rows.map((r) => r[0])),
    day: Int32Array.from(rows.map((r) => r[1])),
    amount: Float64Array.from(rows.map((r) => r[2])),
    quantity: Float64Array.from(rows.map((r) => r[3])),
    length: rows.length,
  };
}

const rowsOf = (l: TransactionLog) =>
  Array.from({ length: l.length }, (_, i) => [
    l.customer[i],
    l.day[i],
    l.amount[i],
    l.quantity?.[i],
  ]);

test("lines of one customer and day merge; the result is ordered by customer, then day", () => {
  const expected = [
    [0, 11, 8, 1],
    [0, 12, 18, 4],
    [1, 10, 0, 0],
    [2, 10, 5, 3],
  ];
  const unordered: Row[] = [
    [2, 10, 1, 1],
    [0, 12, 2, 1],
    [2, 10, 4, 2],
    [0, 11, 8, 1],
    [1, 10, 0, 0],
    [0, 12, 16, 3],
  ];
  const merged = mergeSameDayLines(log(unordered));
  expect(rowsOf(merged)).toEqual(expected);
  expect(merged.customer.length).toBe(4); // arrays cut to the rows, not longer
  // Ordered lines (as DuckDB hands them) merge in place to the same days.
  const ordered: Row[] = [
    [0, 11, 8, 1],
    [0, 12, 2, 1],
    [0, 12, 16, 3],
    [1, 10, 0, 0],
    [2, 10, 1, 1],
    [2, 10, 4, 2],
  ];
  expect(rowsOf(mergeSameDayLines(log(ordered)))).toEqual(expected);
  expect(mergeSameDayLines(log([])).length).toBe(0);
});

test("an ordered log orders to the identity, with the starts the two counting sorts give", () => {
  const random = createSeededRandom(3);
  const rows: Row[] = [];
  for (let i = 0; i < 2000; i++) {
    rows.push([Math.floor(random() * 50), Math.floor(random() * 30), 1, 1]);
  }
  const sorted = orderRowsByCustomerAndDay(log(rows, 52));
  const ordered = log(
    Array.from(sorted.order, (i) => rows[i] as Row),
    52,
  );
  const again = orderRowsByCustomerAndDay(ordered);
  expect(Array.from(again.order)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  expect(Array.from(again.start)).toEqual(Array.from(sorted.start));
  // One row out of order is noticed: the rows are sorted, not taken as they are.
  const swapped = log([rows[0] as Row, [99, 0, 1, 1], [0, 0, 1, 1]], 100);
  expect(Array.from(orderRowsByCustomerAndDay(swapped).order)).not.toEqual([0, 1, 2]);
});
