// Hands DuckDB's purchase rows to JavaScript as a TransactionLog: the customer ids once (in batches
// of one joined string), then the rows as typed columns copied chunk by chunk straight from
// DuckDB's vectors (no per-row objects, no strings), merged into purchase days; and the returns
// netted into days before them, which a summary at an earlier cutoff undoes.

import type { DuckDBConnection } from "@duckdb/node-api";
import type { LaterReturns } from "../later-returns.ts";
import type { TransactionLog } from "../transaction-log.ts";
import { mergeSameDayLines } from "./purchase-days.ts";
import {
  CUSTOMER_ID_BATCHES_SQL,
  LATER_CUSTOMERS_SQL,
  LATER_RETURNS_OUT_SQL,
  purchasesOutSql,
} from "./transactions-sql.ts";

type Vector = { getItem(i: number): unknown };

/** A chunk column's values as a typed array (the vector's own buffer when it exposes one). */
function columnValues<T extends Int32Array | Float64Array>(
  vector: Vector,
  count: number,
  make: (n: number) => T,
): T {
  // @duckdb/node-api keeps the native buffer of fixed-width vectors in `items`: copy it in one go.
  const items: unknown = Reflect.get(vector, "items");
  if (items instanceof make(0).constructor && (items as T).length >= count) {
    return (items as T).subarray(0, count) as T;
  }
  const out = make(count);
  for (let i = 0; i < count; i++) out[i] = vector.getItem(i) as number;
  return out;
}

/** Customer ids in number order (ids[k] is customer k). */
export async function fetchCustomerIds(
  connection: DuckDBConnection,
  customers: number,
): Promise<string[]> {
  const ids: string[] = new Array(customers);
  let at = 0;
  const result = await connection.run(CUSTOMER_ID_BATCHES_SQL);
  for (let c = await result.fetchChunk(); c && c.rowCount > 0; c = await result.fetchChunk()) {
    const counts = c.getColumnVector(1);
    const joined = c.getColumnVector(2);
    for (let r = 0; r < c.rowCount; r++) {
      const n = Number(counts.getItem(r));
      const parts = (joined.getItem(r) as string).split("\n");
      if (parts.length !== n) return fetchIdsOneByOne(connection, customers); // an id holds "\n"
      for (let i = 0; i < n; i++) ids[at++] = parts[i] as string;
    }
  }
  if (at !== customers) throw new Error(`customer ids: expected ${customers}, fetched ${at}`);
  return ids;
}

async function fetchIdsOneByOne(connection: DuckDBConnection, customers: number) {
  const ids: string[] = new Array(customers);
  const result = await connection.run("SELECT customer_id, k FROM customers");
  for (let c = await result.fetchChunk(); c && c.rowCount > 0; c = await result.fetchChunk()) {
    const id = c.getColumnVector(0);
    const k = columnValues(c.getColumnVector(1), c.rowCount, (n) => new Int32Array(n));
    for (let i = 0; i < c.rowCount; i++) ids[k[i]!] = id.getItem(i) as string;
  }
  return ids;
}

/**
 * The purchase rows of table or view `from` (`rows` of them), customers numbered as in table
 * customers, as purchase days ordered by customer and day.
 */
export async function fetchLog(
  connection: DuckDBConnection,
  from: string,
  rows: number,
  customerIds: string[],
): Promise<TransactionLog> {
  const customer = new Uint32Array(rows);
  const day = new Int32Array(rows);
  const amount = new Float64Array(rows);
  const quantity = new Float64Array(rows);
  let at = 0;
  const result = await connection.run(purchasesOutSql(from));
  for (let c = await result.fetchChunk(); c && c.rowCount > 0; c = await result.fetchChunk()) {
    const n = c.rowCount;
    if (at + n > rows) throw new Error(`purchase rows: expected ${rows}, got more`);
    const int = (m: number) => new Int32Array(m);
    const float = (m: number) => new Float64Array(m);
    customer.set(columnValues(c.getColumnVector(0), n, int), at);
    day.set(columnValues(c.getColumnVector(1), n, int), at);
    amount.set(columnValues(c.getColumnVector(2), n, float), at);
    quantity.set(columnValues(c.getColumnVector(3), n, float), at);
    at += n;
  }
  if (at !== rows) throw new Error(`purchase rows: expected ${rows}, fetched ${at}`);
  for (let i = 0; i < rows; i++) {
    if (customer[i]! >= customerIds.length) {
      throw new Error(`purchase rows: customer number ${customer[i]} of ${customerIds.length}`);
    }
  }
  return mergeSameDayLines({ customerIds, customer, day, amount, quantity, length: rows });
}

/** Ids of table later_customers in number order (numbered after table customers). */
async function fetchLaterCustomerIds(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    "SELECT customer_id FROM later_customers ORDER BY k",
  );
  return (reader.getColumnsJS()[0] ?? []) as string[];
}

/** The rows of LATER_RETURNS_OUT_SQL (`rows` of them) as typed columns, copied chunk by chunk. */
async function laterReturnColumns(connection: DuckDBConnection, rows: number) {
  const int = (m: number): Int32Array | Float64Array => new Int32Array(m);
  const float = (m: number): Int32Array | Float64Array => new Float64Array(m);
  // The query's columns: k, d, bought, items, returned on, value, quantity, by order.
  const makes = [int, int, float, float, int, float, float, int];
  const out = makes.map((make) => make(rows));
  let at = 0;
  const result = await connection.run(LATER_RETURNS_OUT_SQL);
  for (let c = await result.fetchChunk(); c && c.rowCount > 0; c = await result.fetchChunk()) {
    const n = c.rowCount;
    if (at + n > rows) throw new Error(`later returns: expected ${rows}, got more`);
    makes.forEach((make, i) => {
      out[i]?.set(columnValues(c.getColumnVector(i), n, make), at);
    });
    at += n;
  }
  if (at !== rows) throw new Error(`later returns: expected ${rows}, fetched ${at}`);
  const [k, d, bought, items, returnedOn, value, quantity, byOrder] = out;
  return {
    k: k as Int32Array,
    d: d as Int32Array,
    bought: bought as Float64Array,
    items: items as Float64Array,
    returnedOn: returnedOn as Int32Array,
    value: value as Float64Array,
    quantity: quantity as Float64Array,
    byOrder: byOrder as Int32Array,
  };
}

/** Rows ordered by (customer k, day d) grouped by day: each day's first row and where it starts. */
function groupByDay(rows: Awaited<ReturnType<typeof laterReturnColumns>>) {
  const { k, d } = rows;
  const n = k.length;
  const starts = new Uint32Array(n + 1);
  let days = 0;
  for (let r = 0; r < n; r++) {
    if (r === 0 || k[r] !== k[r - 1] || d[r] !== d[r - 1]) starts[days++] = r;
  }
  starts[days] = n;
  const customer = new Uint32Array(days);
  const day = new Int32Array(days);
  const bought = new Float64Array(days);
  const items = new Float64Array(days);
  for (let j = 0; j < days; j++) {
    const r = starts[j]!;
    customer[j] = k[r]!;
    day[j] = d[r]!;
    bought[j] = rows.bought[r]!;
    items[j] = rows.items[r]!;
  }
  return { customer, day, bought, items, start: starts.slice(0, days + 1) };
}

/**
 * The returns netted into days before them (table later_returns, made by netReturnsSql) for `log`
 * as fetched, grouped by day; undefined when there are none.
 */
export async function fetchLaterReturns(
  connection: DuckDBConnection,
  log: TransactionLog,
): Promise<LaterReturns | undefined> {
  // The last day from DuckDB: a pass over millions of days in JavaScript took 0.4 s. The log's
  // last purchase day counts the days cancelled in full too: with the last standing day instead,
  // a cutoff between it and a later day cancelled after the cutoff saw the log as read (that day
  // gone, and an earlier day lowered by a return not yet made).
  const counted = await connection.runAndReadAll(
    `SELECT (SELECT count(*) FROM later_returns) AS n,
       (SELECT CAST(max(day) - DATE '1970-01-01' AS INTEGER) FROM (
         SELECT day FROM purchase_days UNION ALL SELECT day FROM cancelled_days)) AS through`,
  );
  const [[n], [last]] = counted.getColumnsJS() as [[bigint], [number | null]];
  const rows = Number(n);
  if (rows === 0) return undefined;
  await connection.run(LATER_CUSTOMERS_SQL);
  const columns = await laterReturnColumns(connection, rows);
  const laterIds = await fetchLaterCustomerIds(connection);
  return {
    // No purchase day at all: every cutoff undoes later returns.
    through: last ?? Number.NaN,
    customerIds: laterIds.length > 0 ? log.customerIds.concat(laterIds) : log.customerIds,
    ...groupByDay(columns),
    returnedOn: columns.returnedOn,
    value: columns.value,
    quantity: columns.quantity,
    byOrder: Uint8Array.from(columns.byOrder),
  };
}
