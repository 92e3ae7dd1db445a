// Reading speed, file → customer summaries: generates a 4-column CSV (customer_id,date,quantity,
// amount; default 10M rows) under the temp dir and times, in the same run, (a) ours: the DuckDB input
// layer (ml/data/input) into typed arrays + summarize(), (b) DuckDB alone: read_csv + summaries.sql
// into a table; prints peak memory.
// DuckDB and ours alternate BENCH_READ_ROUNDS times (default 3); best and median of each are shown.
// Usage: bun bench/read.ts [rows=10000000]   (also: node --import tsx bench/read.ts)

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { readTransactionLog } from "../ml/data/input/read-transaction-log.ts";
import { loadSummariesSql } from "../ml/features/sql-summaries.ts";
import { summarize } from "../ml/features/summaries.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";
import { writeLargeLogCsv } from "./large-log-file.ts";

exitOnHelp(import.meta.path);

const rows = Number(
  process.argv[2]?.startsWith("--") ? 10_000_000 : (process.argv[2] ?? 10_000_000),
);
const results = benchResults("read");
const window = {
  calibrationEnd: "1998-06-30",
  holdoutEnd: "1998-12-31",
  timeUnit: "week",
} as const;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

/** Best run (its value and time), median time and the highest peak RSS of several runs. */
function summary<T>(runs: { value: T; seconds: number; peak: number }[]) {
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const mid = times.length >> 1;
  const median =
    times.length % 2 === 1
      ? (times[mid] ?? Number.NaN)
      : ((times[mid - 1] ?? Number.NaN) + (times[mid] ?? Number.NaN)) / 2;
  return { ...best, median, peak: Math.max(...runs.map((r) => r.peak)) };
}

async function timed<T>(
  what: () => Promise<T>,
): Promise<{ value: T; seconds: number; peak: number }> {
  globalThis.gc?.();
  peakRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const value = await what();
  const seconds = (performance.now() - t0) / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { value, seconds, peak: peakRss };
}

const dir = mkdtempSync(join(tmpdir(), "bench-read-"));
const path = join(dir, "transactions.csv");
try {
  const t0 = performance.now();
  await writeLargeLogCsv(path, rows);
  const mb = statSync(path).size / 1e6;
  console.log(
    `file: ${rows.toLocaleString("en-US")} rows, ${mb.toFixed(0)} MB (written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  // The machine is shared: DuckDB and ours alternate, `rounds` times each, and the best and the
  // median of each side are compared (a single run of either can be slowed by a neighbour).
  const rounds = Math.max(1, Number(process.env.BENCH_READ_ROUNDS ?? 3));
  const duckRun = () =>
    timed(async () => {
      const instance = await DuckDBInstance.create(":memory:");
      const connection = await instance.connect();
      try {
        await connection.run(
          `CREATE VIEW transactions AS SELECT customer_id, date AS tx_date, amount FROM read_csv('${path}')`,
        );
        await connection.run(`CREATE TABLE summaries AS ${loadSummariesSql()}`, [
          window.calibrationEnd,
          window.holdoutEnd,
          7,
        ]);
        const reader = await connection.runAndReadAll("SELECT count(*) AS n FROM summaries");
        return Number((reader.getRowObjectsJS()[0] as { n: bigint }).n);
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    });
  const oursRun = () =>
    timed(async () => {
      const { log } = await readTransactionLog({
        source: { kind: "csv", path },
        columns: {
          customerId: "customer_id",
          date: "date",
          amount: "amount",
          quantity: "quantity",
        },
      });
      return summarize(log, window).n;
    });
  const duckRuns: Awaited<ReturnType<typeof duckRun>>[] = [];
  const oursRuns: Awaited<ReturnType<typeof oursRun>>[] = [];
  for (let r = 0; r < rounds; r++) {
    duckRuns.push(await duckRun());
    oursRuns.push(await oursRun());
    const [d, o] = [duckRuns.at(-1), oursRuns.at(-1)];
    console.log(
      `  round ${r + 1}: DuckDB ${d?.seconds.toFixed(2)} s, ours ${o?.seconds.toFixed(2)} s`,
    );
  }
  const duck = summary(duckRuns);
  const ours = summary(oursRuns);
  if (ours.value !== duck.value) {
    throw new Error(`customer counts differ: ours ${ours.value}, DuckDB ${duck.value}`);
  }
  const line = (name: string, r: { seconds: number; median: number; peak: number }) =>
    `${name.padEnd(40)} best ${r.seconds.toFixed(2).padStart(6)} s  median ${r.median.toFixed(2).padStart(6)} s  ${(rows / r.seconds / 1e6).toFixed(2)} M rows/s  peak rss ${mib(r.peak)}`;
  console.log(
    `file → customer summaries (${duck.value.toLocaleString("en-US")} customers; ${rounds} alternating runs each):`,
  );
  console.log(line("DuckDB read_csv + summaries.sql", duck));
  console.log(line("ours: DuckDB input layer + summarize()", ours));
  const ratio = ours.seconds / duck.seconds;
  const medianRatio = ours.median / duck.median;
  console.log(
    `ours / DuckDB alone: best ${ratio.toFixed(2)}x, median ${medianRatio.toFixed(2)}x (target <= 1.5x): ${ratio <= 1.5 ? "ok" : "OVER"}`,
  );
  results.add(`file → summaries, ours, ${rows} rows`, ours.seconds, "s");
  results.add(`file → summaries, ours (median), ${rows} rows`, ours.median, "s");
  results.add(`file → summaries, DuckDB SQL, ${rows} rows`, duck.seconds, "s");
  results.add(`file → summaries, DuckDB SQL (median), ${rows} rows`, duck.median, "s");
  results.add("ours / DuckDB SQL", ratio, "x", "lower");
  results.add("ours / DuckDB SQL (median)", medianRatio, "x", "lower");
  results.add("peak RSS, ours", ours.peak / 2 ** 20, "MiB");
  results.add("peak RSS, DuckDB SQL", duck.peak / 2 ** 20, "MiB");
  console.log(
    `runtime: ${typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`}`,
  );
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
