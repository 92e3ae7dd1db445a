// Order ids that do not identify orders: a till's receipt numbers restart every day, so one
// customer's receipt 1 of March and receipt 1 of May were one "order", one purchase on its first
// day. Such a column is refused rather than read (3,228 purchase days for 4,169, no warning).
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";

/** Lines of one order further apart than this are two purchases that share an id. */
const ORDER_SPAN_DAYS = 31;
/** Share of orders that may span longer (a pre-order, a back-order) before the column is refused. */
const LONG_ORDER_SHARE = 0.01;

/** An order whose lines are further apart than ORDER_SPAN_DAYS: the first in the file. */
interface LongOrder {
  order: string;
  customer: string;
  first: string;
  last: string;
  firstRow: bigint;
  lastRow: bigint;
}

/**
 * Throws when more than LONG_ORDER_SHARE of the orders (a customer's lines with one order id,
 * purchases only: a return may come months later under its order's id) have lines more than
 * ORDER_SPAN_DAYS apart, naming one such order and its first and last lines.
 */
export async function failOnReusedOrderIds(
  connection: DuckDBConnection,
  orderColumn: string,
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  const long = `last - first > ${ORDER_SPAN_DAYS}`;
  const reader = await connection.runAndReadAll(
    `WITH o AS (
       SELECT order_id, customer_id, min(day) AS first, max(day) AS last,
         arg_min(rowid, day) AS first_row, arg_max(rowid, day) AS last_row
       FROM lines WHERE reason IS NULL AND NOT is_return AND order_id IS NOT NULL
       GROUP BY customer_id, order_id)
     SELECT count(*) AS orders, count(*) FILTER (WHERE ${long}) AS long,
       arg_min({'order': order_id, 'customer': customer_id, 'first': CAST(first AS VARCHAR),
         'last': CAST(last AS VARCHAR), 'firstRow': first_row, 'lastRow': last_row}, first_row)
         FILTER (WHERE ${long}) AS example
     FROM o`,
  );
  const row = reader.getRowObjectsJS()[0] as {
    orders: bigint;
    long: bigint;
    example: LongOrder | null;
  };
  const [orders, longOrders, s] = [Number(row.orders), Number(row.long), row.example];
  if (s === null || longOrders <= orders * LONG_ORDER_SHARE) return;
  const share = ((100 * longOrders) / orders).toFixed(1);
  throw new InputError(
    orderColumn,
    `column "${orderColumn}" repeats order ids: ${longOrders.toLocaleString("en-US")} of ` +
      `${orders.toLocaleString("en-US")} orders (${share}%) have lines more than ${ORDER_SPAN_DAYS} days apart, ` +
      `e.g. order "${s.order}" of customer "${s.customer}" on ${s.first} (${await describe(Number(s.firstRow))}) ` +
      `and ${s.last} (${await describe(Number(s.lastRow))}); the lines of one order are one purchase, ` +
      "so these purchases would be merged into their first day",
    {
      hint: "pass --order-col naming a column unique to each order (an invoice or order number; receipt numbers that restart each day are not), or leave --order-col out to count each customer's days",
    },
  );
}
