// The SQL summary query must give the TypeScript summaries, to 1e-9, on DuckDB and on PostgreSQL.
// PostgreSQL (127.0.0.1:5432, database test) is required: if it is unreachable the test fails.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import postgres from "postgres";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";
import { dayToIsoDate, isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { writeTransactionsCsv } from "../sim/transactions-csv-writer.ts";
import type { CustomerSummaries, SummaryOptions } from "./customer-summaries.ts";
import { duckDbRunner, postgresRunner } from "./sql-runners.ts";
import { type SqlRunner, summarizeWithSql } from "./sql-summaries.ts";
import { summarize } from "./summaries.ts";

interface Case {
  name: string;
  log: TransactionLog;
  options: SummaryOptions;
}

function edgeCaseLog(): TransactionLog {
  const b = new TransactionLogBuilder({ withQuantity: false });
  const rows: [string, string, number][] = [
    ["b", "2020-01-20", 5], // first purchase after the calibration end: excluded
    ["a", "2020-01-05", 10.1],
    ["a", "2020-01-01", 1.25],
    ["a", "2020-01-05", 20.2], // same day: merged
    ["a", "2020-01-08", 6],
    ["a", "2020-01-10", 3], // a repeat purchase on the calibration end day itself
    ["a", "2020-01-12", 4], // holdout
    ["a", "2020-02-01", 99], // after the holdout end
    ["c", "2020-01-10", 7], // first purchase on the calibration end
    ["d", "2020-01-02", 0], // zero amount
    ["d", "2020-01-02", 0],
  ];
  for (const [id, date, amount] of rows) b.push(b.customerNumber(id), isoDateToDay(date), amount);
  return b.finish();
}

const cases: Case[] = [
  {
    name: "edge cases, days",
    log: edgeCaseLog(),
    options: { calibrationEnd: "2020-01-10", holdoutEnd: "2020-01-20", timeUnit: "day" },
  },
  {
    // Calibration ends inside the 12-week acquisition window, so some customers are excluded.
    name: "simulated BG/NBD, 5000 customers, days, no holdout",
    log: simulateBgNbd(
      { r: 0.8, alpha: 6, a: 1.6, b: 4 },
      { customers: 5000, seed: 9, start: "2023-01-01", timeUnit: "day", acquisitionDays: 84 },
    ).log,
    options: { calibrationEnd: "2023-02-15", timeUnit: "day" },
  },
  {
    name: "simulated BG/NBD, 5000 customers, weeks, holdout",
    log: simulateBgNbd(
      { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
      { customers: 5000, seed: 10, start: "1997-01-01", timeUnit: "week" },
    ).log,
    options: { calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30", timeUnit: "week" },
  },
];
const cdnow = cdnowSampleOrWarn("sql-summaries.test.ts (CDNOW case)");
if (cdnow) {
  cases.push({
    name: "CDNOW sample, classic split",
    log: (await readCdnowLog(cdnow)).log,
    options: { calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30", timeUnit: "week" },
  });
}

const FIELDS = [
  "x",
  "tx",
  "T",
  "monetary",
  "firstSpend",
  "holdoutPurchases",
  "holdoutSpend",
] as const;

function expectSameSummaries(sql: CustomerSummaries, ts: CustomerSummaries): void {
  expect(sql.n).toBe(ts.n);
  expect(sql.excludedAfterCalibration).toBe(ts.excludedAfterCalibration);
  expect(sql.holdoutLength).toBe(ts.holdoutLength);
  const row = new Map(sql.ids.map((id, i) => [id, i]));
  let mismatches = 0;
  for (let i = 0; i < ts.n; i++) {
    const j = row.get(ts.ids[i] as string);
    if (j === undefined) throw new Error(`customer ${ts.ids[i]} is missing from the SQL result`);
    if (sql.firstDay[j] !== ts.firstDay[i]) mismatches++;
    for (const f of FIELDS) {
      const a = sql[f][j]!;
      const b = ts[f][i]!;
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) {
        if (mismatches++ < 5) console.error(`customer ${ts.ids[i]}: ${f} SQL ${a} vs TS ${b}`);
      }
    }
  }
  expect(mismatches).toBe(0);
}

const dir = mkdtempSync(join(tmpdir(), "sql-summaries-"));

describe("DuckDB", () => {
  let connection: DuckDBConnection;
  beforeAll(async () => {
    connection = await (await DuckDBInstance.create(":memory:")).connect();
  });
  afterAll(() => connection?.closeSync());

  for (const c of cases) {
    test(c.name, async () => {
      // Through a CSV file, the way a warehouse would ingest the log.
      const path = join(dir, `${c.name.replace(/\W+/g, "-")}.csv`);
      await writeTransactionsCsv(c.log, path);
      const quantity = c.log.quantity ? ", 'quantity': 'DOUBLE'" : "";
      await connection.run(
        `CREATE OR REPLACE TABLE transactions AS SELECT customer_id, "date" AS tx_date, amount
         FROM read_csv('${path.replaceAll("'", "''")}', header = true,
           columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE'${quantity}})`,
      );
      const sql = await summarizeWithSql(duckDbRunner(connection), c.options);
      expectSameSummaries(sql, summarize(c.log, c.options));
    });
  }
});

describe("PostgreSQL", () => {
  const schema = `pp_summaries_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  // One connection, so that search_path applies to every statement.
  const sql = postgres({
    host: "127.0.0.1",
    port: 5432,
    user: "postgres",
    database: "test",
    max: 1,
    connect_timeout: 10,
    onnotice: () => {},
  });
  beforeAll(async () => {
    try {
      await sql.unsafe(`CREATE SCHEMA ${schema}`);
    } catch (error) {
      console.error(
        `\n${"!".repeat(78)}\n!!! PostgreSQL at 127.0.0.1:5432 (database test) is unreachable: ${error}\n${"!".repeat(78)}`,
      );
      throw error;
    }
    await sql.unsafe(`SET search_path TO ${schema}`);
  });
  afterAll(async () => {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await sql.end();
  });

  for (const c of cases) {
    test(c.name, async () => {
      await sql.unsafe("DROP TABLE IF EXISTS transactions");
      await sql.unsafe(
        "CREATE TABLE transactions (customer_id TEXT NOT NULL, tx_date DATE NOT NULL, amount DOUBLE PRECISION NOT NULL)",
      );
      const { log } = c;
      for (let from = 0; from < log.length; from += 10_000) {
        const rows = [];
        for (let i = from; i < Math.min(log.length, from + 10_000); i++) {
          rows.push({
            customer_id: log.customerIds[log.customer[i]!] as string,
            tx_date: dayToIsoDate(log.day[i]!),
            amount: log.amount[i]!,
          });
        }
        await sql`INSERT INTO transactions ${sql(rows, "customer_id", "tx_date", "amount")}`;
      }
      const run: SqlRunner = postgresRunner(sql);
      expectSameSummaries(await summarizeWithSql(run, c.options), summarize(c.log, c.options));
    });
  }
});
