// `ml train --data FOLDER --query` over exports holding hostile values (a NUL in an id, ±1e308,
// NaN and Infinity amounts, empty fields, a 10,000-character id, quoted fields across lines) reads
// what the same rows read as one file give, and training on them writes no NaN to metrics.json.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { runCli } from "../cli.ts";
import type { LogColumns, LogSource } from "../data/input/log-input.ts";
import { readTransactionLog } from "../data/input/read-transaction-log.ts";
import { purchaseDays } from "../testing/log-files.ts";
import { runSimulate } from "./simulate.ts";

let dir: string;
const saved = process.env.DATA_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-train-query-hostile-"));
  process.env.DATA_DIR = join(dir, "data");
});

afterAll(async () => {
  if (saved === undefined) delete process.env.DATA_DIR;
  else process.env.DATA_DIR = saved;
  await rm(dir, { recursive: true, force: true });
});

const HEADER = "customer_id,date,amount";

/** Rows no export should hold, each once, in the calibration window. */
const HOSTILE = [
  "nul\u0000id,1997-02-01,10",
  "huge,1997-02-02,1e308",
  "huge,1997-03-02,1e308",
  "tiny,1997-02-03,-1e308",
  "nan,1997-02-04,NaN",
  "inf,1997-02-05,Infinity",
  "neginf,1997-02-06,-Infinity",
  ",1997-02-07,5",
  "nodate,,5",
  "noamount,1997-02-08,",
  ",,",
  `${"x".repeat(10_000)},1997-02-09,7`,
  `${"x".repeat(10_000)},1997-04-09,8`,
  '"multi\nline",1997-02-10,3',
  '"multi\nline",1997-05-10,4',
  'quoted,"1997-02-11","1\n2"',
];

const COLUMNS: LogColumns = { customerId: "customer_id", date: "date", amount: "amount" };

/** What the account says was read and kept, and the purchase days with their total spend. */
async function readOf(source: LogSource) {
  const { log, quality } = await readTransactionLog({ source, columns: COLUMNS });
  const days = purchaseDays(log);
  let spend = 0;
  for (let i = 0; i < log.length; i++) spend += log.amount[i] as number;
  return {
    rows_read: quality.rows_read,
    rows_kept: quality.rows_kept,
    customers: quality.customers_in_log,
    purchase_days: quality.purchase_days,
    skipped: quality.skipped,
    spend,
    days,
  };
}

/** The paths of `value`'s nulls and non-finite numbers. */
function unfinite(value: unknown, path = "$"): string[] {
  if (value === null || (typeof value === "number" && !Number.isFinite(value))) return [path];
  if (typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => unfinite(v, `${path}.${k}`));
}

test("hostile values read the same through a folder --query as from one file; metrics.json has no NaN", async () => {
  const simulated = join(dir, "simulated.csv");
  await runSimulate({ model: "bgnbd", customers: 300, seed: 5, out: simulated });
  const normal = (await readFile(simulated, "utf8")).trimEnd().split("\n").slice(1);
  const half = normal.length >> 1;
  const folder = join(dir, "exports");
  await mkdir(folder);
  // The hostile rows split between two exports, among normal rows.
  const first = [...normal.slice(0, half), ...HOSTILE.slice(0, 8)];
  const second = [...HOSTILE.slice(8), ...normal.slice(half)];
  await writeFile(join(folder, "sales_a.csv"), `${[HEADER, ...first].join("\n")}\n`);
  await writeFile(join(folder, "sales_b.csv"), `${[HEADER, ...second].join("\n")}\n`);
  const single = join(dir, "single.csv");
  await writeFile(single, `${[HEADER, ...first, ...second].join("\n")}\n`);
  const query = "SELECT * FROM sales_a UNION ALL SELECT * FROM sales_b";

  const fromFile = await readOf({ kind: "csv", path: single });
  const fromQuery = await readOf({ kind: "query", path: folder, query });
  expect(fromQuery).toEqual(fromFile);
  expect(fromFile.rows_read).toBe(normal.length + HOSTILE.length);
  // Every hostile row is skipped and counted, but the two whose quoted id spans a line.
  const skipped = Object.values(fromFile.skipped ?? {}).reduce((a, b) => a + b, 0);
  expect(skipped).toBe(HOSTILE.length - 2);
  expect(fromFile.rows_kept).toBe(normal.length + 2);
  expect(fromFile.days.filter((d) => d.startsWith("multi\nline "))).toEqual([
    "multi\nline 1997-02-10 3",
    "multi\nline 1997-05-10 4",
  ]);
  expect(Number.isFinite(fromFile.spend)).toBe(true);

  const out = join(dir, "out");
  const window = ["--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30"];
  const code = await runCli([
    "train",
    "--data",
    folder,
    "--query",
    query,
    ...window,
    "--out",
    out,
    "--fast",
  ]);
  expect(code).toBe(0);
  const text = await readFile(join(out, "metrics.json"), "utf8");
  // JSON.stringify writes NaN and ±Infinity as null: none may be there, nor NaN as text.
  expect(text).not.toContain("NaN");
  const metrics = JSON.parse(text);
  expect(unfinite(metrics)).toEqual([]);
  expect(TrainingMetricsSchema.safeParse(metrics).success).toBe(true);
  expect(metrics.data.rows_read).toBe(fromFile.rows_read);
  expect(metrics.data.format).toBe("query");
}, 120_000);
