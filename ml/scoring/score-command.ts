// `ml score` options (as commander parsed them) → runScore; bad values fail with RangeErrors that
// name the option (the CLI prints them and exits with code 2). `--data` takes `ml train`'s input
// options (log-cli-options.ts); `--table` names --to's table, or with --data postgres://… alone the
// table to read.

import type { LogFormat } from "../data/input/log-input.ts";
import { logInputFromCli } from "../pipelines/log-cli-options.ts";
import { parseShard, runScore, type ScoreResult } from "./run-score.ts";
import { levelSuffix } from "./score-columns.ts";

export interface ScoreCommandOptions {
  model: string;
  version?: number;
  out?: string;
  to?: string;
  table?: string;
  data?: string;
  format: LogFormat;
  asOf?: string;
  horizon: string;
  discountRate: number;
  shard?: string;
  customerCol: string;
  dateCol: string;
  amountCol: string;
  quantityCol?: string;
  onBadRow: "skip" | "fail";
  /** e.g. "0.8,0.95". */
  intervals?: string;
  [option: string]: unknown;
}

/** `0.8,0.95` → interval levels; throws a RangeError naming --intervals. */
export function parseIntervalLevels(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const levels = parts.map(Number);
  if (
    parts.length > 5 ||
    !levels.every((l, i) => parts[i] !== "" && l > 0 && l < 1) ||
    new Set(levels).size !== levels.length
  ) {
    throw new RangeError(
      `--intervals: expected up to 5 distinct levels in (0, 1) separated by commas, e.g. 0.8,0.95, got "${text}"`,
    );
  }
  levels.forEach((level, i) => {
    // A column name holds 4 decimals of the percentage: past 6 decimals two levels shared their
    // columns (0.12345671 and 0.12345672: _12_3457 twice) and 1e-7 was named _0.
    const suffix = levelSuffix(level);
    if (Math.abs(Number(suffix.replace("_", ".")) / 100 - level) > 1e-12) {
      const nearest = Math.min(0.999999, Math.max(0.000001, Number(level.toFixed(6))));
      throw new RangeError(
        `--intervals: ${parts[i]} has more than 6 decimals, which its columns (…_${suffix}) cannot name; pass at most 6, e.g. ${nearest}`,
      );
    }
  });
  return levels;
}

/** --data and its input options as runScore's log options (none without --data). */
function logOptions(o: ScoreCommandOptions) {
  if (!o.data) return {};
  const postgresData = /^postgres(ql)?:\/\//.test(o.data);
  if (postgresData && o.to && !o.query) {
    throw new RangeError(
      "--table: with --to it names the table written; read --data postgres://… with --query 'select … from T'",
    );
  }
  // With --to, --table is the destination's: the log reader never sees it.
  const input = logInputFromCli({ ...o, ...(o.to ? { table: undefined } : {}) });
  return {
    data: o.data,
    format: input.format as Exclude<typeof input.format, "summary">,
    log: input.log,
    columns: {
      customerId: o.customerCol,
      date: o.dateCol,
      amount: o.amountCol,
      ...(o.quantityCol ? { quantity: o.quantityCol } : {}),
    },
    onBadRow: o.onBadRow,
  };
}

export async function runScoreCommand(o: ScoreCommandOptions): Promise<ScoreResult> {
  if (o.out && o.to) throw new RangeError("--out and --to: give one destination");
  if (o.table && !o.to && !(o.data && /^postgres(ql)?:\/\//.test(o.data))) {
    throw new RangeError("--table: needs --to postgres://… (or --data postgres://… to read)");
  }
  if (!Number.isFinite(o.discountRate)) {
    throw new RangeError(`--discount-rate: expected a number, got ${String(o.discountRate)}`);
  }
  const intervals = o.intervals === undefined ? [] : parseIntervalLevels(o.intervals);
  const result = await runScore({
    ...(intervals.length > 0 ? { intervals } : {}),
    model: o.model,
    ...(o.version ? { version: o.version } : {}),
    ...(o.out ? { out: o.out } : {}),
    ...(o.to ? { to: o.to } : {}),
    ...(o.to && o.table ? { table: o.table } : {}),
    ...logOptions(o),
    ...(o.asOf ? { asOf: o.asOf } : {}),
    horizon: o.horizon,
    discountRate: o.discountRate,
    ...(o.shard ? { shard: parseShard(o.shard) } : {}),
  });
  console.log(`wrote ${result.rows} rows to ${result.destination}`);
  return result;
}
