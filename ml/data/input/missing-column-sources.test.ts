// A column option naming no column of a PostgreSQL query or table, a Parquet or a JSON file: none
// has a line 1, so the error names what lacks the column and lists its columns, as a folder
// --query's does, with the option to pass instead. Before, each said "line 1: there is no column".
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresWith, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { failure, writeParquet } from "../../testing/log-files.ts";
import type { LogSource } from "./log-input.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

let database: TestDatabase;
let url: string;
beforeAll(async () => {
  database = await postgresWith(async (sql) => {
    await sql.unsafe("CREATE TABLE sales (client text, date date, amount numeric)");
    await sql.unsafe("INSERT INTO sales VALUES ('a', '2024-01-02', 10)");
  });
  url = database.options.databaseUrl as string;
});
afterAll(async () => {
  await database?.cleanup();
});

const columns = { customerId: "customer_id", date: "date", amount: "amount" };

/** The message and hint a read of `source` with `columns` fails with. */
async function refusal(source: LogSource, asked: Record<string, string> = columns) {
  const noAmount = asked.amount === undefined ? { noAmount: true } : {};
  const error = await failure(
    readTransactionLog({ source, columns: asked as typeof columns, ...noAmount }),
  );
  return { message: error?.message ?? "", hint: (error as { hint?: string })?.hint ?? "" };
}

test("a PostgreSQL --query or --table without a column names the result's or table's columns", async () => {
  const query = await refusal({ kind: "postgres", url, query: "SELECT * FROM sales" });
  expect(query.message).toContain(
    ` query: the query's result has no column "customer_id" (its columns: client, date, amount)`,
  );
  expect(query.hint).toContain("pass --customer-col");
  const table = await refusal({ kind: "postgres", url, table: "sales" });
  expect(table.message).toContain(
    ` table sales: the table has no column "customer_id" (its columns: client, date, amount)`,
  );
  for (const { message } of [query, table]) expect(message).not.toContain("line 1");
});

test("a Parquet or JSON file without a column names the file's columns", async () => {
  const dir = mkdtempSync(join(tmpdir(), "missing-column-"));
  const parquet = await writeParquet(
    join(dir, "sales.parquet"),
    "SELECT 'a' AS client, DATE '2024-01-02' AS date, 10.0 AS amount",
  );
  const json = join(dir, "sales.jsonl");
  writeFileSync(json, '{"client": "a", "date": "2024-01-02", "amount": 10}\n');
  for (const source of [
    { kind: "parquet", path: parquet },
    { kind: "json", path: json },
  ] as const) {
    const { message, hint } = await refusal(source);
    expect(message).toStartWith(
      `${source.path}: the file has no column "customer_id" (its columns: client, date, amount)`,
    );
    expect(hint).toContain("pass --customer-col");
  }
  // Parts read as one table (a Spark export's folder) are named as such.
  const parts = join(dir, "export");
  mkdirSync(parts);
  const files = [
    await writeParquet(join(parts, "part-1.parquet"), "SELECT 'a' AS client, 10.0 AS amount"),
    await writeParquet(join(parts, "part-2.parquet"), "SELECT 'b' AS client, 5.0 AS amount"),
  ];
  const { message } = await refusal({ kind: "parquet", path: parts, files });
  expect(message).toStartWith(
    `${parts}: the 2 parts read as one table have no columns "customer_id", "date" (their columns: client, amount)`,
  );
});

// Olist's orders.csv read with --customer-col customer_unique_id (the person's column, kept in
// customers.csv): the hint said only `pass --customer-col customer_id`, the per-order id whose
// log then failed as "nobody buys twice". It now says how to bring the column in from its file.
test("a customer column the file lacks: the hint says how to join the file that holds it", async () => {
  const columns = {
    customerId: "customer_unique_id",
    date: "order_purchase_timestamp",
  };
  const dir = mkdtempSync(join(tmpdir(), "olist-orders-"));
  const path = join(dir, "olist_orders_dataset.csv");
  writeFileSync(
    path,
    "order_id,customer_id,order_status,order_purchase_timestamp\no1,c1,delivered,2017-10-02 10:56:33\n",
  );
  const { hint } = await refusal({ kind: "csv", path }, columns);
  expect(hint).toContain("pass --customer-col customer_id");
  expect(hint).toContain(
    "if customer_unique_id is in another file of the export, join the files: --data FOLDER --query",
  );
  // A query's result: the column is selected in the query, not joined from a folder.
  const query = await refusal(
    {
      kind: "query",
      path: dir,
      query: "SELECT * FROM olist_orders_dataset",
    },
    columns,
  );
  expect(query.hint).toContain("select customer_unique_id in the query");
});
