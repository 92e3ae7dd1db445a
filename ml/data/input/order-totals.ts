// An order's total written on every line of the order: WooCommerce's line-item export repeats
// `Order Total Amount` on each item, and an Olist order_items ⋈ order_payments join repeats
// payment_value once per item. Added line by line, a three-item order counted its total three
// times: spend came out 3.41× the truth (3.18× on the Olist join), with --order-col given and
// nothing said. With --order-col such a column named as a total or payment is refused unless
// --amount-per says how to read it (another name, a line's price repeated per unit, is warned of);
// --amount-per order reads each of an order's amounts once (orderTotalsOnce). Without it, the
// first rows are looked at by a column named like an order's, and a warning names it.
import type { DuckDBConnection } from "@duckdb/node-api";
import { optionWithColumn, suggestedColumns } from "./column-suggestion.ts";
import { InputError } from "./input-error.ts";
import type { LogInput } from "./log-input.ts";
import { SAMPLE_ROWS } from "./sample-values.ts";
import { columnText } from "./sql-text.ts";

/** Orders with several lines that all carry one amount: at least this many, to say anything. */
const MIN_REPEATED_ORDERS = 5;
/** …and at least this share of the orders with several lines. */
const REPEATED_ORDER_SHARE = 0.5;
/**
 * …and this many times the share that equal amounts drawn at random would give (the chance that
 * two of an order's amounts are equal, from how often each amount is written): a shop whose items
 * all cost 5.00 writes 5.00 on every line of its orders, and those are line amounts.
 */
const ABOVE_CHANCE = 4;

/** The purchase lines of orders (what is counted as spend). */
const ORDER_LINES = "reason IS NULL AND NOT is_return AND order_id IS NOT NULL";

interface RepeatedExample {
  order: string;
  customer: string;
  amount: number;
  rows: bigint[];
  /** The order's purchase lines. */
  lines: bigint;
}

/**
 * An amount column named as an order's total or payment (Order Total Amount, payment_value,
 * grand_total): repeated on an order's lines it is that total. A line's price or amount repeated
 * is as often one row per unit (tickets, seats, an order_items export): only warned about.
 */
const ORDER_LEVEL_NAME = /total|payment|paid|grand|order/i;

/**
 * When most orders with several lines carry the same amount on each (well above chance), the
 * amount column may hold the order's total, not each line's value. Throws (naming the column, the
 * share, an order with its lines, and what to pass: --amount-per order, the line's quantity and
 * price columns, or --amount-per line) when the column is named as an order's total; else returns
 * the warning's facts, as the same amount per unit is as likely. Null when most orders do not.
 */
export async function repeatedOrderTotals(
  connection: DuckDBConnection,
  read: { column: string; order: string },
  names: string[],
  describe: (rowid: number) => Promise<string>,
): Promise<RepeatedTotalsHint | null> {
  const { column } = read;
  // The common case (line amounts) ends at the orders of the first SAMPLE_ROWS lines (a pass over
  // every order took 0.6–1.0 s of 2,100,000 lines); the whole file, chance and an example only
  // when most of those repeat an amount.
  const repeated = ({ orders, same }: { orders: number; same: number }) =>
    same >= MIN_REPEATED_ORDERS && same >= orders * REPEATED_ORDER_SHARE;
  if (!repeated(await orderCounts(connection, `rowid < ${SAMPLE_ROWS} AND `))) return null;
  const { orders, same } = await orderCounts(connection, "");
  if (!repeated({ orders, same })) return null;
  const reader = await connection.runAndReadAll(
    `WITH o AS (
       SELECT customer_id, order_id, min(amount) = max(amount) AS one, min(amount) AS v,
         list(rowid ORDER BY rowid)[1:4] AS rows, count(*) AS n
       FROM lines WHERE ${ORDER_LINES} GROUP BY customer_id, order_id HAVING count(*) >= 2),
     pairs AS (SELECT DISTINCT l.customer_id, l.order_id, l.amount FROM lines AS l
       SEMI JOIN o ON o.customer_id = l.customer_id AND o.order_id = l.order_id
       WHERE l.${ORDER_LINES}),
     counts AS (SELECT count(*) AS c FROM pairs GROUP BY amount)
     SELECT (SELECT sum(c * c) / (sum(c) * sum(c)) FROM counts) AS chance,
       (SELECT arg_min({'order': order_id, 'customer': customer_id, 'amount': v, 'rows': rows,
          'lines': n}, rows[1]) FROM o WHERE one) AS example`,
  );
  const row = reader.getRowObjectsJS()[0] as {
    chance: number | null;
    example: RepeatedExample | null;
  };
  const s = row.example;
  const share = same / orders;
  if (s === null || Number(row.chance ?? 1) * ABOVE_CHANCE > share) return null;
  if (!ORDER_LEVEL_NAME.test(column)) {
    const lines = Number(s.lines);
    const example = { order: s.order, customer: s.customer, amount: String(s.amount), lines };
    return { column, order_column: read.order, orders, same, example };
  }
  const where = await Promise.all(s.rows.map((r) => describe(Number(r))));
  const n = (v: number) => v.toLocaleString("en-US");
  throw new InputError(
    column,
    `column "${column}" carries the same amount on every line of most orders: ${n(same)} of ` +
      `${n(orders)} orders with several lines (${(100 * share).toFixed(0)}%), e.g. order ` +
      `"${s.order}" of customer "${s.customer}": ${s.amount} on ${where.join(", ")}` +
      `${s.rows.length === 4 ? ", …" : ""}; added line by line, such an order's total (an order ` +
      "export's, or a payment repeated by a join with its items) counts once per line",
    { hint: repeatedTotalHint(names) },
  );
}

/** Orders with several purchase lines, and those whose lines all carry one amount. */
async function orderCounts(
  connection: DuckDBConnection,
  where: string,
): Promise<{ orders: number; same: number }> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS orders, count(*) FILTER (WHERE lo = hi) AS same FROM (
       SELECT min(amount) AS lo, max(amount) AS hi FROM lines WHERE ${where}${ORDER_LINES}
       GROUP BY customer_id, order_id HAVING count(*) >= 2) AS o`,
  );
  const r = reader.getRowObjectsJS()[0] as { orders: bigint; same: bigint };
  return { orders: Number(r.orders), same: Number(r.same) };
}

/** A column numbering an order's payments: Olist's payment_sequential, a Payment ID. */
const PAYMENT_NUMBER = /^payments?[\s_.-]*(seq|sequential|sequence|number|no|nr|id|index)$/i;

/** Whether a column numbers an order's payments (loaded beside the modelled ones, side-columns.ts). */
export const isPaymentNumberColumn = (name: string) => PAYMENT_NUMBER.test(name.trim());

/**
 * What to pass instead: the amount once per order, or each line priced by its own columns. Beside
 * a column numbering the payments (Olist's orders ⋈ payments, two equal vouchers), the lines may
 * be separate payments: --amount-per order alone read such an order at half its spend.
 */
function repeatedTotalHint(names: string[]): string {
  const payment = names.find(isPaymentNumberColumn);
  const payments = payment
    ? `if the lines are the order's payments, numbered by column "${payment}", pass --amount-per order ${optionWithColumn("--payment-col", payment)} (each payment read once, also when a join repeats it per item); `
    : "";
  return payments + orderTotalHint(names);
}

/** The advice without a payment-number column. */
function orderTotalHint(names: string[]): string {
  const [quantity] = suggestedColumns("quantity", "quantity", names);
  const [price] = suggestedColumns("price", "price", names);
  const priced =
    quantity && price && quantity !== price
      ? `${optionWithColumn("--quantity-col", quantity)} ${optionWithColumn("--price-col", price)}`
      : "--quantity-col and --price-col naming each line's quantity and unit price";
  return (
    "if it is the order's total, pass --amount-per order to read it once per order; or pass " +
    `${priced} (amount = quantity × price); if each line's amount is its own, pass --amount-per line`
  );
}

/**
 * --amount-per order: of an order's lines carrying the same amount, the first keeps it and the
 * others count 0 (they stay purchase lines: their quantities count). An items ⋈ payments join
 * writes each payment once per item, so an amount is written (items × its payments) times: an
 * order's amounts are each read (times written / the greatest common divisor of those counts)
 * times — voucher 50 + card 50 + card 30 on one item is 130, not 80. An order whose one amount
 * is written on every line is read once (a total repeated per item, WooCommerce's): two equal
 * payments alone look the same, and only `byPayment` (--payment-col, a payment_sequential
 * column in table lines as payment_id) tells them apart, each payment read once. Returns how many
 * purchase lines had an amount read on another line.
 */
export async function orderTotalsOnce(
  connection: DuckDBConnection,
  byPayment = false,
): Promise<number> {
  const each = `customer_id, order_id, amount, is_return${byPayment ? ", payment_id" : ""}`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE repeated_totals AS
     WITH t AS (SELECT rowid AS r, ${each},
         amount <> 0 AND NOT is_return AS counted,
         row_number() OVER (PARTITION BY ${each} ORDER BY rowid) AS k,
         count(*) OVER (PARTITION BY ${each}) AS c
       FROM lines WHERE reason IS NULL AND order_id IS NOT NULL),
     g AS (SELECT customer_id, order_id, is_return,
         list_reduce(list(c), lambda x, y: gcd(x, y)) AS items
       FROM (SELECT DISTINCT ${each}, c FROM t) AS v GROUP BY customer_id, order_id, is_return)
     SELECT r, counted FROM t JOIN g USING (customer_id, order_id, is_return)
     WHERE k > c // items`,
  );
  await connection.run(
    "UPDATE lines SET amount = 0 WHERE rowid IN (SELECT r FROM repeated_totals)",
  );
  const reader = await connection.runAndReadAll(
    "SELECT count(*) FILTER (WHERE counted) AS n FROM repeated_totals",
  );
  await connection.run("DROP TABLE repeated_totals");
  return Number((reader.getRowObjectsJS()[0] as { n: bigint }).n);
}

/** Without --order-col: the amount column repeating one amount on an order's lines, in a sample. */
export interface RepeatedTotalsHint {
  column: string;
  /** The column named like an order's that the sample was grouped by, or --order-col's. */
  order_column: string;
  /** Rows looked at without --order-col (with it: every line read, and this is absent). */
  sampled_rows?: number;
  orders: number;
  same: number;
  example: { order: string; customer: string; amount: string; lines: number };
}

/**
 * Without --order-col, when a column is named like an order's (Order ID, order_id): the first
 * SAMPLE_ROWS rows grouped by customer and that column, judged as failOnRepeatedOrderTotals judges
 * the read orders. Amounts are compared as written; a line without one is not looked at (Shopify's
 * Total on an order's first line only). Null when there is nothing to say.
 */
export async function repeatedTotalsInSample(
  connection: DuckDBConnection,
  peek: string,
  input: LogInput,
  orderLike: string | undefined,
): Promise<RepeatedTotalsHint | null> {
  const { columns } = input;
  const amount = columns.amount;
  if (columns.order !== undefined || columns.price !== undefined || amount === undefined)
    return null;
  if (input.noAmount || input.amountPer === "line" || orderLike === undefined) return null;
  if ([columns.customerId, columns.date, amount].includes(orderLike)) return null;
  const [c, o, a, t] = [columns.customerId, orderLike, amount, columns.date].map(columnText);
  // An order's lines are written with one date: a group spanning several (a customer's year of
  // lines sharing an order_status of "completed") is no order, whatever its amounts.
  const reader = await connection.runAndReadAll(
    `WITH s AS (SELECT ${c} AS c, ${o} AS o, ${a} AS a, ${t} AS t FROM ${peek} LIMIT ${SAMPLE_ROWS}),
     g AS (SELECT c, o, count(DISTINCT a) AS d, min(a) AS v, count(*) AS n FROM s
       WHERE c IS NOT NULL AND o IS NOT NULL AND a IS NOT NULL GROUP BY c, o
       HAVING count(*) >= 2 AND count(DISTINCT t) <= 1),
     pairs AS (SELECT DISTINCT s.c, s.o, s.a FROM s SEMI JOIN g ON g.c = s.c AND g.o = s.o
       WHERE s.a IS NOT NULL),
     counts AS (SELECT count(*) AS k FROM pairs GROUP BY a)
     SELECT (SELECT count(*) FROM s) AS sampled, (SELECT count(*) FROM g) AS orders,
       (SELECT count(*) FROM g WHERE d = 1) AS same,
       (SELECT sum(k * k) / (sum(k) * sum(k)) FROM counts) AS chance,
       (SELECT {'order': o, 'customer': c, 'amount': v, 'lines': n} FROM g WHERE d = 1
         ORDER BY n DESC, o LIMIT 1) AS example`,
  );
  const row = reader.getRowObjectsJS()[0] as {
    sampled: bigint;
    orders: bigint;
    same: bigint;
    chance: number | null;
    example: { order: string; customer: string; amount: string; lines: bigint } | null;
  };
  const [orders, same, e] = [Number(row.orders), Number(row.same), row.example];
  if (e === null || same < MIN_REPEATED_ORDERS) return null;
  const share = same / orders;
  if (share < REPEATED_ORDER_SHARE || Number(row.chance ?? 1) * ABOVE_CHANCE > share) return null;
  return {
    column: amount,
    order_column: orderLike,
    sampled_rows: Number(row.sampled),
    orders,
    same,
    example: { ...e, lines: Number(e.lines) },
  };
}

/** The CLI's and report's warning for RepeatedTotalsHint. */
export function repeatedTotalsWarning(h: RepeatedTotalsHint): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const e = h.example;
  if (h.sampled_rows === undefined) {
    return (
      `WARNING: column "${h.column}" carries the same amount on every line of most orders: ` +
      `${n(h.same)} of ${n(h.orders)} orders with several lines ` +
      `(${((100 * h.same) / h.orders).toFixed(0)}%), e.g. order "${e.order}" of customer ` +
      `"${e.customer}": ${n(e.lines)} lines each carry ${e.amount}; read line by line, as one ` +
      "row per unit sold (tickets, an order_items export) is; if it is the order's total, pass " +
      "--amount-per order to read it once per order (--amount-per line: as read, without this warning)"
    );
  }
  return (
    `WARNING: column "${h.column}" carries the same amount on every line of most orders of ` +
    `column "${h.order_column}" in the first ${n(h.sampled_rows)} rows: ${n(h.same)} of ` +
    `${n(h.orders)} orders with several lines (${((100 * h.same) / h.orders).toFixed(0)}%), e.g. ` +
    `order "${e.order}" of customer "${e.customer}": ${n(e.lines)} lines each carry ${e.amount}; ` +
    "if it is the order's total it is added once per line: pass " +
    `${optionWithColumn("--order-col", h.order_column)} --amount-per order to read it once per order`
  );
}
