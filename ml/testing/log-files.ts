// Small logs written to a temporary folder, read back the usual way, and a log's purchase days as
// sortable strings: what the input layer's tests compare.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { LogColumns, LogInput, LogSource } from "../data/input/log-input.ts";
import { readTransactionLog } from "../data/input/read-transaction-log.ts";
import { sqlString } from "../data/input/sql-text.ts";
import type { TransactionLog } from "../data/transaction-log.ts";
import { dayToIsoDate } from "../data/transaction-log.ts";
import { generateOnlineRetailLog, onlineRetailCsv } from "../sim/online-retail-log.ts";

/** The three columns the tests' CSV logs name. */
export const LOG_COLUMNS: LogColumns = {
  customerId: "customer_id",
  date: "date",
  amount: "amount",
};

/** Reads a CSV log with LOG_COLUMNS; `extra` sets other input fields, `csv` the source's options. */
export function readCsvLog(
  path: string,
  extra: Partial<LogInput> = {},
  csv: Partial<Extract<LogSource, { kind: "csv" }>> = {},
) {
  return readTransactionLog({
    source: { kind: "csv", path, ...csv },
    columns: LOG_COLUMNS,
    ...extra,
  });
}

/** The simulated Online Retail export (400 customers, seed 12) read as its columns say. */
export function readSimulatedOnlineRetail() {
  const { text } = onlineRetailCsv(generateOnlineRetailLog(400, 12));
  return readTransactionLog({
    source: { kind: "csv", path: tempLogFile(text) },
    columns: {
      customerId: "CustomerID",
      date: "InvoiceDate",
      quantity: "Quantity",
      price: "UnitPrice",
      order: "InvoiceNo",
    },
    cancelPattern: "^C",
  });
}

/** The error a promise rejects with, or null when it resolves. */
export function failure(p: Promise<unknown>): Promise<Error | null> {
  return p.then(() => null).catch((e: unknown) => e as Error);
}

let dir: string | undefined;
let files = 0;

/** Writes `text` to a new file with extension `ext` and returns its path. */
export function tempLogFile(text: string | Uint8Array, ext = "csv"): string {
  dir ??= mkdtempSync(join(tmpdir(), "read-log-"));
  const path = join(dir, `log-${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

/** Purchase days as "id date amount" strings, sorted. */
export function purchaseDays(log: TransactionLog): string[] {
  const out: string[] = [];
  for (let i = 0; i < log.length; i++) {
    out.push(`${log.customerIds[log.customer[i]!]} ${dayToIsoDate(log.day[i]!)} ${log.amount[i]}`);
  }
  return out.sort();
}

/** Writes the rows of a DuckDB SELECT to `path` as Parquet (an export the tests read back). */
export async function writeParquet(path: string, select: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (${select}) TO ${sqlString(path)} (FORMAT parquet)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return path;
}
