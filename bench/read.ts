// Reading speed of the CSV transaction-log reader: simulates a ~1M-row log (BG/NBD, CDNOW
// parameters), writes it as CSV, then reads it back several times and prints rows/s and memory.
// Usage: bun bench/read.ts [rows≈1000000]   (also: node --import tsx bench/read.ts)

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCsvLog } from "../ml/data/csv-reader.ts";
import { simulateBgNbd } from "../ml/sim/bgnbd-simulator.ts";
import { writeTransactionsCsv } from "../ml/sim/transactions-csv-writer.ts";
import { benchResults } from "./bench-results.ts";

const targetRows = Number(
  process.argv[2]?.startsWith("--") ? 1_000_000 : (process.argv[2] ?? 1_000_000),
);
const results = benchResults("read");
// With the CDNOW parameters a customer makes ~2.77 purchases in 78 weeks.
const customers = Math.ceil(targetRows / 2.77);
const dir = mkdtempSync(join(tmpdir(), "bench-read-"));
const path = join(dir, "transactions.csv");
try {
  const population = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { customers, seed: 1, start: "1997-01-01", timeUnit: "week" },
  );
  await writeTransactionsCsv(population.log, path);
  const mb = statSync(path).size / 1e6;
  console.log(`file: ${population.log.length} rows, ${customers} customers, ${mb.toFixed(1)} MB`);

  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const runs = 3;
  for (let run = 1; run <= runs; run++) {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const { log } = await readCsvLog(path, { onBadRow: "fail" });
    const seconds = (performance.now() - t0) / 1000;
    const mem = process.memoryUsage();
    const typedBytes =
      log.customer.byteLength +
      log.day.byteLength +
      log.amount.byteLength +
      (log.quantity?.byteLength ?? 0);
    if (run === runs) results.add(`CSV read, ${log.length} rows`, log.length / seconds, "rows/s");
    console.log(
      `run ${run}: ${(log.length / seconds / 1e6).toFixed(2)} M rows/s (${seconds.toFixed(2)} s, ` +
        `${(mb / seconds).toFixed(0)} MB/s); typed arrays ${mib(typedBytes)}; ` +
        `heap +${mib(mem.heapUsed - heapBefore)}, rss ${mib(mem.rss)}`,
    );
  }
  console.log(
    `runtime: ${typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
