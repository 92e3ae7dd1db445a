// Machine-readable results of a bench script: with `--json` on its command line a script prints one
// `BENCH_JSON {...}` line holding its figures, which bench/all.ts collects into one table.

/** Which way a figure improves. */
export type Better = "higher" | "lower";

export interface BenchFigure {
  /** What was measured, e.g. "BG/NBD fit, 1,000,000 customers". */
  name: string;
  value: number;
  /** e.g. "s", "req/s", "ms", "MiB", "rows/s". */
  unit: string;
  /** Absent when the unit gives no direction (see defaultBetter) and the script did not say. */
  better?: Better;
}

// Sizes, durations and counts (the bench scripts count errors) shrink when things improve.
const LOWER_IS_BETTER = new Set(["s", "ms", "µs", "us", "ns", "B", "KiB", "MiB", "GiB", "count"]);

/**
 * The direction a unit implies: rates ("req/s", "customers/CPU-s") are better higher; durations,
 * sizes and counts lower. "%", "ratio", "x" and unknown units say nothing by themselves (a
 * coverage % and an RSS-change % improve in different directions), so they get no direction
 * unless the script passes one to `add`.
 */
export function defaultBetter(unit: string): Better | undefined {
  if (/\/(s|CPU-s)$/.test(unit)) return "higher";
  if (LOWER_IS_BETTER.has(unit)) return "lower";
  return undefined;
}

/** The figure's own direction, else its unit's (figures from older scripts carry none). */
export const betterOf = (figure: BenchFigure): Better | undefined =>
  figure.better ?? defaultBetter(figure.unit);

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
    /** `better` overrides the unit's direction, e.g. "higher" for an after/before "ratio". */
    add(name: string, value: number, unit: string, better?: Better) {
      const direction = better ?? defaultBetter(unit);
      figures.push(direction ? { name, value, unit, better: direction } : { name, value, unit });
    },
    flush,
  };
}
