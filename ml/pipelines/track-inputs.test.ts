// `ml track` takes the same log input options as `ml train`: a registered version tracked from the
// plain CSV, its Parquet copy and a shop export (other column names, `;`, US timestamps) gives the
// same realized purchases and the same accuracy figures.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import postgres from "postgres";
import { summarize } from "../features/summaries.ts";
import { fitBgNbd } from "../models/bgnbd.ts";
import { fitParetoNbd } from "../models/pareto-nbd.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { writeTransactionsCsv } from "../sim/transactions-csv-writer.ts";
import { runCliCaptured } from "../testing/cli-harness.ts";
import {
  shopExportArguments,
  writeParquetCopy,
  writeShopExportCopy,
} from "../testing/log-layouts.ts";
import { openRegistryFromEnv } from "./open-registry.ts";
import type { TrackPipelineResult } from "./track.ts";

const saved = {
  DATA_DIR: process.env.DATA_DIR,
  DATABASE_URL: process.env.DATABASE_URL,
  ARTIFACT_STORE_URI: process.env.ARTIFACT_STORE_URI,
};
let dir: string;
let csv: string;
let holdoutEnd: string;
let database: TestDatabase | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-track-inputs-"));
  process.env.DATA_DIR = join(dir, "db");
  delete process.env.DATABASE_URL;
  delete process.env.ARTIFACT_STORE_URI;
  const population = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { customers: 1500, seed: 21, start: "1997-01-01", timeUnit: "week" },
  );
  const calibrationEnd = population.exact.options.calibrationEnd as string;
  holdoutEnd = population.exact.options.holdoutEnd as string;
  csv = join(dir, "transactions.csv");
  await writeTransactionsCsv(population.log, csv);
  const s = summarize(population.log, { calibrationEnd, timeUnit: "week" });
  const opened = await openRegistryFromEnv();
  try {
    await opened.registry.registerVersion("sim", {
      artifacts: [{ name: "model.json", bytes: new TextEncoder().encode("{}") }],
      params: { bgnbd: fitBgNbd(s).params, pareto_nbd: fitParetoNbd(s).params, horizon: 39 },
      metrics: {},
      dataWindow: { calibrationEnd },
      timeUnit: "week",
      trainedAt: new Date("1997-10-01T00:00:00Z"),
      customerFeatures: Array.from({ length: s.n }, (_, i) => ({
        customerId: s.ids[i] as string,
        summary: { x: s.x[i], t_x: s.tx[i], T: s.T[i] },
        features: [],
      })),
      promote: true,
    });
  } finally {
    await opened.close();
  }
}, 120_000);

afterAll(async () => {
  await database?.cleanup();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function track(name: string, input: string[]): Promise<TrackPipelineResult> {
  const run = await runCliCaptured([
    "track",
    "--model",
    "sim",
    ...input,
    "--window-end",
    holdoutEnd,
    "--out",
    join(dir, name),
  ]);
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/^data: [\d,]+ rows read/m);
  return JSON.parse(readFileSync(join(dir, name, "tracking.json"), "utf8")) as TrackPipelineResult;
}

test("plain CSV, Parquet and a shop export with US timestamps track to the same figures", async () => {
  const parquet = join(dir, "transactions.parquet");
  const shop = join(dir, "shop-export.csv");
  await writeParquetCopy(csv, parquet);
  await writeShopExportCopy(csv, shop);

  const plain = await track("plain", ["--data", csv]);
  expect(plain.results.map((r) => r.forecaster)).toEqual(["bgnbd", "pareto_nbd"]);
  expect(plain.transactionsInWindow).toBeGreaterThan(100);
  expect(plain.data.skipped).toEqual({});
  const fromParquet = await track("parquet", ["--data", parquet]);
  const fromShop = await track("shop", shopExportArguments(shop));
  expect(fromShop.data.date_format).toBe("%m/%d/%Y %H:%M");
  for (const other of [fromParquet, fromShop]) {
    expect(other.results).toEqual(plain.results);
    expect(other.transactionsInWindow).toBe(plain.transactionsInWindow);
    expect(other.unknownCustomers).toBe(plain.unknownCustomers);
    expect(other.windowEnd).toBe(plain.windowEnd);
    expect(other.data.rows_read).toBe(plain.data.rows_read);
    expect(other.data.purchase_days).toBe(plain.data.purchase_days);
    expect(other.data.customers_in_log).toBe(plain.data.customers_in_log);
  }
}, 120_000);

/** The CSV's rows in a PostgreSQL table `orders(customer text, day date, total float8)`. */
async function copyToPostgres(): Promise<string> {
  database = await openTestDatabase("postgres", { migrate: false });
  const url = database.options.databaseUrl as string;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE TABLE orders (customer text, day date, total double precision)`;
    const rows = readFileSync(csv, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => {
        const [customer, day, total] = line.split(",");
        return { customer, day, total: Number(total) };
      });
    for (let i = 0; i < rows.length; i += 1000) {
      await sql`INSERT INTO orders ${sql(rows.slice(i, i + 1000))}`;
    }
  } finally {
    await sql.end();
  }
  return url;
}

test("a PostgreSQL table with other column names tracks to the plain CSV's figures", async () => {
  const plain = JSON.parse(
    readFileSync(join(dir, "plain", "tracking.json"), "utf8"),
  ) as TrackPipelineResult;
  const url = await copyToPostgres();
  const table = await track("postgres", [
    "--data",
    url,
    "--table",
    "orders",
    "--customer-col",
    "customer",
    "--date-col",
    "day",
    "--amount-col",
    "total",
  ]);
  expect(table.data.position).toBe("row");
  expect(table.results).toEqual(plain.results);
  expect(table.transactionsInWindow).toBe(plain.transactionsInWindow);
}, 120_000);

// --query over a file reads the file as a table (file-query.ts; it was refused without a
// postgres:// source): a query without the log's columns is refused naming them.
test("--query over a CSV file without the log's columns is refused naming them (exit code 2)", async () => {
  const run = await runCliCaptured([
    "track",
    "--model",
    "sim",
    "--data",
    csv,
    "--query",
    "SELECT 1",
  ]);
  expect(run.code).toBe(2);
  expect(run.err).toContain("query: the query's result has no columns");
});
