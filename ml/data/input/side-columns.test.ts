// The same rows from a CSV, a PostgreSQL table and an xlsx workbook get the same checks on their
// side columns: a PostgreSQL table and a workbook are loaded column by column, and only the
// modelled columns were, so an event log of views trained silently from PostgreSQL (72,504 "purchase
// days" where 7,404 were bought) and cancelled orders and mixed currencies went unnamed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { postgresWith, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import ExcelJS from "exceljs";
import { failure, tempLogFile } from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";
import type { LogColumns, LogSource } from "./log-input.ts";
import { readTransactionLog } from "./read-transaction-log.ts";
import { sideColumns } from "./side-columns.ts";

const HEADER = ["customer_id", "order_date", "amount", "order_status", "currency"];
/** 40 orders: every fifth canceled, every seventh in USD (the rest EUR). */
const ORDERS = Array.from({ length: 40 }, (_, i) => [
  `c${i % 9}`,
  `2024-01-${String(1 + (i % 28)).padStart(2, "0")}`,
  String(10 + i),
  i % 5 === 0 ? "canceled" : "delivered",
  i % 7 === 0 ? "USD" : "EUR",
]);
const EVENT_HEADER = ["visitorid", "timestamp", "event"];
/** 30 events: views and add-to-carts, one transaction in six. */
const EVENTS = Array.from({ length: 30 }, (_, i) => [
  `v${i % 4}`,
  `2024-02-${String(1 + (i % 20)).padStart(2, "0")}`,
  i % 6 === 0 ? "transaction" : i % 2 === 0 ? "view" : "addtocart",
]);
const orderColumns: LogColumns = {
  customerId: "customer_id",
  date: "order_date",
  amount: "amount",
};
const eventColumns: LogColumns = { customerId: "visitorid", date: "timestamp" };

const csv = (header: string[], rows: string[][]) =>
  tempLogFile([header, ...rows].map((r) => r.join(",")).join("\n"));

async function workbook(header: string[], rows: string[][]): Promise<string> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet("Orders");
  sheet.addRow(header);
  for (const row of rows) sheet.addRow(row);
  // A second sheet without the side columns: its rows read with them empty.
  const more = book.addWorksheet("More");
  more.addRow(header.slice(0, 3));
  more.addRow(rows[1]?.slice(0, 3) ?? []);
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  return path;
}

let database: TestDatabase;
let url: string;
beforeAll(async () => {
  database = await postgresWith(async (sql) => {
    await sql.unsafe(
      "CREATE TABLE orders (customer_id text, order_date date, amount numeric, order_status text, currency text)",
    );
    for (const o of ORDERS) await sql.unsafe("INSERT INTO orders VALUES ($1, $2, $3, $4, $5)", o);
    await sql.unsafe("CREATE TABLE events (visitorid text, timestamp date, event text)");
    for (const e of EVENTS) await sql.unsafe("INSERT INTO events VALUES ($1, $2, $3)", e);
  });
  url = database.options.databaseUrl as string;
});
afterAll(async () => {
  await database?.cleanup();
});

const read = (source: LogSource, columns: LogColumns) =>
  readTransactionLog({ source, columns, noAmount: columns.amount === undefined });

describe("side columns of a PostgreSQL table or an xlsx workbook are checked as a CSV's are", () => {
  test("an event log of views stops the read from each, naming --keep-rows", async () => {
    const sources: LogSource[] = [
      { kind: "csv", path: csv(EVENT_HEADER, EVENTS) },
      { kind: "postgres", url, table: "events" },
      { kind: "xlsx", path: await workbook(EVENT_HEADER, EVENTS) },
    ];
    for (const source of sources) {
      const error = await failure(read(source, eventColumns));
      expect(error).toBeInstanceOf(InputError);
      expect(error?.message).toContain('column "event" holds addtocart (15 rows), view (10 rows)');
      expect(error?.message).toContain("pass --keep-rows event=transaction");
    }
  });

  test("canceled orders and two currencies are named, the same from each", async () => {
    const sources: LogSource[] = [
      { kind: "csv", path: csv(HEADER, ORDERS) },
      { kind: "postgres", url, table: "orders" },
      { kind: "postgres", url, query: "SELECT * FROM orders ORDER BY order_date" },
      { kind: "xlsx", path: await workbook(HEADER, ORDERS) },
    ];
    const seen = [];
    for (const source of sources) {
      const { quality } = await read(source, orderColumns);
      seen.push({ statuses: quality.not_sales, currencies: quality.currencies?.values });
    }
    expect(seen[0]?.statuses?.[0]?.values).toEqual([{ value: "canceled", rows: 8 }]);
    expect(seen[0]?.currencies?.map((c) => c.value)).toEqual(["EUR", "USD"]);
    for (const other of seen.slice(1)) expect(other).toEqual(seen[0] as (typeof seen)[number]);
  });

  test("a source without such columns loads none: only the modelled ones", () => {
    expect(sideColumns(["customer_id", "order_date", "amount"], orderColumns)).toEqual([]);
    expect(
      sideColumns(["Customer", "Date", "Total", "Status", "Currency", "Description"], {
        customerId: "Customer",
        date: "Date",
        amount: "Total",
      }),
    ).toEqual(["Status", "Currency"]);
  });
});
