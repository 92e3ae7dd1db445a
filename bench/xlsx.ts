// Reading an Excel workbook, file → typed arrays, before and after in one run: writes a workbook in
// Online Retail II's layout (two year sheets, shared strings, date cells, a guest every fifth row;
// default 200,000 rows) and reads it alternately with this checkout's reader and a baseline
// commit's (BENCH_XLSX_BEFORE, default 27731e5: sheets parsed by exceljs's streaming reader),
// checking that both give the same log to the byte.
// Usage: bun bench/xlsx.ts [rows=200000] [--rounds N] [--no-baseline]

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ExcelJS from "exceljs";
import type { TransactionLog } from "../ml/data/transaction-log.ts";
import { type BaselineCheckout, baselineCheckout } from "./baseline-checkout.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const args = process.argv.slice(2);
const rows = Number(args[0]?.startsWith("--") ? 200_000 : (args[0] ?? 200_000));
const roundsAt = args.indexOf("--rounds");
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
const beforeRef = process.env.BENCH_XLSX_BEFORE || "27731e5";
const root = resolve(import.meta.dir, "..");
const results = benchResults("xlsx");

/** Writes the workbook: half the rows on each sheet, as Online Retail II splits its two years. */
async function writeWorkbook(path: string): Promise<void> {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true });
  const half = Math.ceil(rows / 2);
  for (const [name, year, n] of [
    ["Year 2009-2010", 2009, half],
    ["Year 2010-2011", 2010, rows - half],
  ] as const) {
    const sheet = book.addWorksheet(name);
    const header = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price"];
    sheet.addRow([...header, "Customer ID", "Country"]).commit();
    for (let i = 0; i < n; i++) {
      const date = new Date(Date.UTC(year, 11, 1) + i * 60_000);
      const customer = i % 5 === 0 ? null : 12_000 + (i % 5_900);
      const line = [489_434 + (i >> 4), `85${i % 4000}`, `ITEM ${i % 5000}`, 1 + (i % 12), date];
      sheet.addRow([...line, 2.55 + (i % 7), customer, "United Kingdom"]).commit();
    }
    sheet.commit();
  }
  await book.commit();
}

type ReadLog = (input: unknown) => Promise<{ log: TransactionLog }>;

/** The reader of the code at `dir` (this checkout or the baseline's copy). */
async function readerAt(dir: string): Promise<ReadLog> {
  const module = await import(join(dir, "ml/data/input/read-transaction-log.ts"));
  return module.readTransactionLog as ReadLog;
}

/** A digest of the log's ids and typed arrays, to tell that both readers read the same. */
function digest(log: TransactionLog): string {
  const hash = new Bun.CryptoHasher("sha256");
  hash.update(JSON.stringify(log.customerIds));
  for (const a of [log.customer, log.day, log.amount]) {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, log.length * a.BYTES_PER_ELEMENT));
  }
  return hash.digest("hex");
}

async function timedRead(read: ReadLog, path: string) {
  const started = performance.now();
  const { log } = await read({
    source: { kind: "xlsx", path },
    columns: { customerId: "Customer ID", date: "InvoiceDate", amount: "Price" },
  });
  return { seconds: (performance.now() - started) / 1000, digest: digest(log) };
}

const dir = mkdtempSync(join(tmpdir(), "bench-xlsx-"));
let baseline: BaselineCheckout | null = null;
try {
  const path = join(dir, "online_retail.xlsx");
  let t = performance.now();
  await writeWorkbook(path);
  const mib = (statSync(path).size / 2 ** 20).toFixed(1);
  console.log(
    `${rows.toLocaleString("en-US")} rows in two sheets written in ${((performance.now() - t) / 1000).toFixed(1)} s (${mib} MiB)`,
  );
  const sides: { name: string; read: ReadLog; times: number[]; digest?: string }[] = [
    { name: "after", read: await readerAt(root), times: [] },
  ];
  if (!args.includes("--no-baseline")) {
    try {
      baseline = baselineCheckout(root, beforeRef, ["ml", "shared"]);
      sides.push({ name: `before (${beforeRef})`, read: await readerAt(baseline.dir), times: [] });
    } catch (error) {
      console.log(`no "before" figures: ${beforeRef} unavailable (${String(error).slice(0, 200)})`);
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      t = performance.now();
      const run = await timedRead(side.read, path);
      side.times.push(run.seconds);
      side.digest ??= run.digest;
      if (side.digest !== run.digest)
        throw new Error(`${side.name}: a different log in round ${round + 1}`);
    }
  }
  const same = sides.every((s) => s.digest === sides[0]?.digest);
  console.log(`same log from every side: ${same ? "yes" : "NO"}`);
  if (!same) process.exitCode = 1;
  for (const side of sides) {
    const best = Math.min(...side.times);
    const all = side.times.map((s) => s.toFixed(2)).join(", ");
    console.log(
      `${side.name}: best ${best.toFixed(2)} s (${Math.round(rows / best).toLocaleString("en-US")} rows/s); rounds ${all} s`,
    );
    const label = `xlsx → log, ${rows.toLocaleString("en-US")} rows, ${side.name}`;
    results.add(label, Math.round(rows / best), "rows/s");
  }
} finally {
  baseline?.remove();
  rmSync(dir, { recursive: true, force: true });
}
