// Acceptance (issue 14): an Online-Retail-style export with known ground truth trains with ONE
// documented command, and every count in metrics.json `data` equals the ground truth; the same for
// a Parquet copy and for the same rows in a PostgreSQL table.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import ExcelJS from "exceljs";
import postgres from "postgres";
import { openTestDatabase, type TestDatabase } from "../../shared/testing/test-databases.ts";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { runCli } from "../cli.ts";
import {
  generateOnlineRetailLog,
  ONLINE_RETAIL_HEADER,
  onlineRetailCsv,
  type RetailLog,
} from "../sim/online-retail-log.ts";

let dir: string;
let retail: RetailLog;
let csvPath: string;
let skippedLines: Record<string, number[]>;
const savedDataDir = process.env.DATA_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-retail-"));
  process.env.DATA_DIR = join(dir, "registry");
  retail = generateOnlineRetailLog(400, 12);
  const csv = onlineRetailCsv(retail);
  skippedLines = csv.skippedLines;
  csvPath = join(dir, "online_retail.csv");
  await writeFile(csvPath, csv.text);
});

afterAll(async () => {
  if (savedDataDir === undefined) delete process.env.DATA_DIR;
  else process.env.DATA_DIR = savedDataDir;
  await rm(dir, { recursive: true, force: true });
});

/** The README's command, with only --data (and --table) differing between the sources. */
function documentedCommand(data: string[], out: string): string[] {
  return [
    "train",
    ...data,
    "--customer-col",
    "CustomerID",
    "--date-col",
    "InvoiceDate",
    "--quantity-col",
    "Quantity",
    "--price-col",
    "UnitPrice",
    "--order-col",
    "InvoiceNo",
    "--cancel-pattern",
    "^C",
    "--calibration-end",
    retail.calibrationEnd,
    "--holdout-end",
    retail.holdoutEnd,
    "--fast",
    "--out",
    out,
  ];
}

async function train(data: string[], name: string) {
  const out = join(dir, name);
  const printed: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => printed.push(a.join(" "));
  console.error = (...a: unknown[]) => printed.push(a.join(" "));
  let code: number;
  try {
    code = await runCli(documentedCommand(data, out));
  } finally {
    console.log = log;
    console.error = error;
  }
  expect({ code, printed: code === 0 ? "" : printed.join("\n") }).toEqual({ code: 0, printed: "" });
  const metrics = TrainingMetricsSchema.parse(
    JSON.parse(await readFile(join(out, "metrics.json"), "utf8")),
  );
  return {
    metrics,
    printed: printed.join("\n"),
    html: await readFile(join(out, "report.html"), "utf8"),
  };
}

/** Every count of metrics.json `data` against the generator's ground truth. */
function expectGroundTruth(
  data: Record<string, unknown>,
  truth: RetailLog["truth"],
  without: string[] = [],
) {
  const skipped = { ...truth.skipped };
  let dropped = 0;
  for (const reason of without) {
    dropped += skipped[reason] ?? 0;
    delete skipped[reason];
  }
  expect(data.rows_read).toBe(truth.rows_read - dropped);
  expect(data.rows_kept).toBe(truth.rows_kept);
  expect(data.skipped).toEqual(skipped);
  const returns = data.returns as { rows: number; amount: number; matched_orders: number };
  expect(returns.rows).toBe(truth.returns.rows);
  expect(returns.amount).toBeCloseTo(truth.returns.amount, 6);
  expect(returns.matched_orders).toBe(truth.returns.matched_orders);
  expect(data.zero_amount_rows).toBe(truth.zero_amount_rows);
  expect(data.customers_in_log).toBe(truth.customers_in_log);
  expect(data.customers).toBe(truth.customers);
  expect(data.excluded_after_calibration).toBe(truth.customers_in_log - truth.customers);
  expect(data.purchase_days).toBe(truth.purchase_days);
  expect(data.first_date).toBe(truth.first_date);
  expect(data.last_date).toBe(truth.last_date);
}

test("CSV: one command trains it and metrics.json data equals the ground truth, with line numbers", async () => {
  const truth = retail.truth;
  expect(truth.returns.rows).toBeGreaterThan(10);
  expect(truth.zero_amount_rows).toBeGreaterThan(10);
  expect(truth.customers).toBeLessThan(truth.customers_in_log); // some first buy after the cutoff
  const { metrics, printed, html } = await train(["--data", csvPath], "csv");
  expectGroundTruth(metrics.data, truth);
  const examples = metrics.data.examples as Record<string, number[]>;
  for (const [reason, lines] of Object.entries(skippedLines)) {
    expect(examples[reason]).toEqual(lines.slice(0, 5));
  }
  expect(metrics.data.date_format).toBe("%m/%d/%Y %H:%M");
  expect(metrics.models.gamma_gamma?.zero_spend_customers).toBeGreaterThan(0);
  expect(printed).toContain(`${truth.rows_read.toLocaleString("en-US")} rows read`);
  expect(printed).toContain("skipped 25: missing customer id");
  // The report opens with the data section.
  expect(html.indexOf("Data: rows read and kept")).toBeGreaterThan(0);
  expect(html.indexOf("Data: rows read and kept")).toBeLessThan(html.indexOf("Parameters and fit"));
}, 120_000);

test("Parquet copy: the same counts (the short line cannot exist in Parquet)", async () => {
  const parquet = join(dir, "online_retail.parquet");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  // Typed timestamps, as a warehouse export would have them; the bad quantity stays text.
  await connection.run(
    `COPY (SELECT * REPLACE (strptime(InvoiceDate, '%m/%d/%Y %H:%M') AS InvoiceDate)
       FROM read_csv('${csvPath}', all_varchar = true, store_rejects = true))
     TO '${parquet}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  const { metrics } = await train(["--data", parquet], "parquet");
  expectGroundTruth(metrics.data, retail.truth, ["wrong number of columns"]);
  expect(metrics.data.position).toBe("row");
}, 120_000);

/** The same rows rewritten by `replace` (a DuckDB REPLACE list over text columns), `;`-separated. */
async function rewrittenCopy(name: string, replace: string): Promise<string> {
  const path = join(dir, name);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT * REPLACE (${replace})
       FROM read_csv('${csvPath}', all_varchar = true, store_rejects = true))
     TO '${path}' (FORMAT csv, HEADER true, DELIMITER ';')`,
  );
  connection.closeSync();
  instance.closeSync();
  return path;
}
const US_TIME = "try_strptime(InvoiceDate, '%m/%d/%Y %H:%M')";
// Prices that are numbers get the layout; the generator's bad values stay as they are.
const price = (layout: string) =>
  `CASE WHEN TRY_CAST(UnitPrice AS DOUBLE) IS NULL THEN UnitPrice ELSE ${layout} END AS UnitPrice`;

test("a European export (d.m.Y dates, decimal commas) and one with Unix times and £ prices: the same counts", async () => {
  const european = await rewrittenCopy(
    "online_retail_de.csv",
    `coalesce(strftime(${US_TIME}, '%d.%m.%Y %H:%M'), InvoiceDate) AS InvoiceDate,
     ${price("replace(UnitPrice, '.', ',') || ' €'")}`,
  );
  const de = await train(["--data", european], "european");
  expectGroundTruth(de.metrics.data, retail.truth, ["wrong number of columns"]);
  expect(de.metrics.data.date_format).toBe("%d.%m.%Y %H:%M");
  expect(de.metrics.data.number_formats).toEqual({ UnitPrice: "1.234,56" });
  expect(de.printed).toContain('column "UnitPrice" read as numbers written like 1.234,56');
  expect(de.html).toContain("1.234,56");
  const unix = await rewrittenCopy(
    "online_retail_unix.csv",
    `coalesce(CAST(epoch(${US_TIME}) AS BIGINT)::VARCHAR, InvoiceDate) AS InvoiceDate,
     ${price("'£' || UnitPrice")}`,
  );
  const epoch = await train(["--data", unix], "unix");
  expectGroundTruth(epoch.metrics.data, retail.truth, ["wrong number of columns"]);
  expect(epoch.metrics.data.date_format).toBe("epoch");
  expect(epoch.metrics.data.number_formats).toEqual({ UnitPrice: "1,234.56" });
}, 180_000);

test("an Excel workbook of the same rows, split over two sheets as Online Retail II is: the same counts", async () => {
  const path = join(dir, "online_retail.xlsx");
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true });
  const lines = retail.lines.filter((l) => !l.short);
  const half = Math.floor(lines.length / 2);
  const typed = (field: string, column: string) => {
    if (field === "") return null;
    if (column === "InvoiceDate") {
      const [m, d, y, h, min] = field.split(/[/ :]/).map(Number) as number[];
      return new Date(Date.UTC(y as number, (m as number) - 1, d, h, min)); // a date cell
    }
    const n = Number(field);
    return ["Quantity", "UnitPrice", "CustomerID"].includes(column) && Number.isFinite(n)
      ? n
      : field;
  };
  for (const [name, part] of [
    ["Year 2010", lines.slice(0, half)],
    ["Year 2011", lines.slice(half)],
  ] as const) {
    const sheet = book.addWorksheet(name);
    sheet.addRow([...ONLINE_RETAIL_HEADER]).commit();
    for (const line of part) {
      const row = sheet.addRow(
        line.fields.map((f, i) => typed(f, ONLINE_RETAIL_HEADER[i] as string)),
      );
      row.getCell(ONLINE_RETAIL_HEADER.indexOf("InvoiceDate") + 1).numFmt = "m/d/yy h:mm";
      row.commit();
    }
    sheet.commit();
  }
  book.addWorksheet("Read me").addRow(["Online Retail, two years"]).commit();
  await book.commit();
  const { metrics, printed } = await train(["--data", path], "xlsx");
  expectGroundTruth(metrics.data, retail.truth, ["wrong number of columns"]);
  expect(metrics.data.sheets).toEqual({ read: ["Year 2010", "Year 2011"], skipped: ["Read me"] });
  expect(printed).toContain("sheets read: Year 2010, Year 2011; left out");
}, 180_000);

let database: TestDatabase | null = null;
afterAll(async () => {
  await database?.cleanup();
});

test("PostgreSQL table: the same counts", async () => {
  database = await openTestDatabase("postgres", { migrate: false });
  const url = database.options.databaseUrl as string;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const cols = ONLINE_RETAIL_HEADER.map(
      (c) => `"${c}" ${c === "InvoiceDate" ? "timestamp" : "text"}`,
    );
    await sql.unsafe(`CREATE TABLE online_retail (${cols.join(", ")})`);
    const rows = retail.lines
      .filter((l) => !l.short)
      .map((l) => {
        const row: Record<string, string | null> = {};
        ONLINE_RETAIL_HEADER.forEach((c, i) => {
          const v = l.fields[i] as string;
          row[c] = v === "" ? null : v;
        });
        const [date, time] = (row.InvoiceDate as string).split(" ");
        const [m, d, y] = (date as string).split("/");
        row.InvoiceDate = `${y}-${m?.padStart(2, "0")}-${d?.padStart(2, "0")} ${time}`;
        return row;
      });
    for (let i = 0; i < rows.length; i += 500) {
      await sql`INSERT INTO online_retail ${sql(rows.slice(i, i + 500))}`;
    }
  } finally {
    await sql.end();
  }
  const { metrics } = await train(["--data", url, "--table", "online_retail"], "postgres");
  expectGroundTruth(metrics.data, retail.truth, ["wrong number of columns"]);
  const query = await train(
    ["--data", url, "--query", `SELECT * FROM online_retail WHERE "Country" = 'United Kingdom'`],
    "postgres-query",
  );
  expectGroundTruth(query.metrics.data, retail.truth, ["wrong number of columns"]);
}, 180_000);

test("unreadable input through ml train: exit code 2 and a message naming column, line and option", async () => {
  const out = join(dir, "bad");
  const args = documentedCommand(["--data", csvPath], out).map((a) =>
    a === "CustomerID" ? "Customer ID" : a,
  );
  const printed: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => printed.push(a.join(" "));
  let code: number;
  try {
    code = await runCli(args);
  } finally {
    console.error = error;
  }
  expect(code).toBe(2);
  const message = printed.join("\n");
  expect(message).toContain('line 1: there is no column "Customer ID"');
  expect(message).toContain("CustomerID");
  expect(message).toContain("pass --customer-col");
});
