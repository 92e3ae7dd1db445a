// Machine-readable results of a bench script: with `--json` on its command line a script prints one
// `BENCH_JSON {...}` line holding its figures, which bench/all.ts collects into one table.

export interface BenchFigure {
  /** What was measured, e.g. "BG/NBD fit, 1,000,000 customers". */
  name: string;
  value: number;
  /** e.g. "s", "req/s", "ms", "MiB", "rows/s". */
  unit: string;
}

export const BENCH_JSON_PREFIX = "BENCH_JSON ";

export const wantsJson = (argv: readonly string[] = process.argv): boolean =>
  argv.includes("--json");

/** Collects figures and prints them as one line at exit when `--json` was given. */
export function benchResults(bench: string) {
  const figures: BenchFigure[] = [];
  let printed = false;
  const flush = () => {
    if (printed || !wantsJson()) return;
    printed = true;
    console.log(`${BENCH_JSON_PREFIX}${JSON.stringify({ bench, figures })}`);
  };
  process.on("exit", flush);
  return {
    add(name: string, value: number, unit: string) {
      figures.push({ name, value, unit });
    },
    flush,
  };
}
