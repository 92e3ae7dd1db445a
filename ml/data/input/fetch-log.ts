// Hands DuckDB's purchase rows to JavaScript as a TransactionLog: the customer ids once (in batches
// of one joined string), then the rows as typed columns copied chunk by chunk straight from
// DuckDB's vectors (no per-row objects, no strings), merged into purchase days.

import type { DuckDBConnection } from "@duckdb/node-api";
import type { TransactionLog } from "../transaction-log.ts";
import { mergeSameDayLines } from "./purchase-days.ts";
import { CUSTOMER_ID_BATCHES_SQL, purchasesOutSql } from "./transactions-sql.ts";

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
