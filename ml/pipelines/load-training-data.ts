// Reads the training data in any of the supported formats (transaction logs from CSV/TSV, Parquet
// or PostgreSQL through the DuckDB input layer; CDNOW text; precomputed customer summaries),
// summarises transaction logs at the calibration end, and accounts for every row (DataQuality).

import type { BadRowPolicy } from "../data/bad-rows.ts";
import { type DataQuality, qualityFromReadReport } from "../data/input/data-quality.ts";
import { InputError } from "../data/input/input-error.ts";
import type { LogColumns } from "../data/input/log-input.ts";
import { readPossiblyZipped } from "../data/input/zip-source.ts";
import { readSummaryCsv } from "../data/summary-reader.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  purchaseDayRange,
  type ReadReport,
  type TransactionLog,
} from "../data/transaction-log.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { summarize, unitDays } from "../features/summaries.ts";
import { holdoutBuyers, holdoutReach } from "./holdout-checks.ts";
import { DEFAULT_CUSTOMER_COLUMN, type LogReadOptions, readLog } from "./read-log.ts";
import { requireRepeatBuyers, requireRepeatBuyersInSummaries } from "./repeat-buyers.ts";
import type { DataFormat } from "./train-models.ts";

export interface LoadOptions {
  path: string;
  format: DataFormat;
  /** Required for transaction logs; optional for summaries (t_x and T are already computed). */
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  /** false: `timeUnit` is the default, not the user's; summaries in lifetimes' names then ask. */
  timeUnitGiven?: boolean;
  columns?: Partial<LogColumns>;
  onBadRow?: BadRowPolicy;
  /** Extra options of the csv / parquet / postgres formats. */
  log?: LogReadOptions;
}

export interface LoadedData {
  log: TransactionLog | null;
  summaries: CustomerSummaries;
  report: ReadReport;
  quality: DataQuality;
  /** What the user should know about the window (a holdout the log does not reach). */
  warnings: string[];
}

export async function loadTrainingData(options: LoadOptions): Promise<LoadedData> {
  const onBadRow = options.onBadRow ?? "skip";
  if (options.format === "summary") {
    const { summaries, report, floatWrittenIds, unscoredHoldout } = await readPossiblyZipped(
      options.path,
      (path) =>
        readSummaryCsv(path, {
          ...(options.timeUnitGiven === false ? {} : { timeUnit: options.timeUnit }),
          ...(options.calibrationEnd ? { calibrationEnd: options.calibrationEnd } : {}),
          ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
          onBadRow,
        }),
    );
    requireRepeatBuyersInSummaries(summaries);
    const quality = {
      ...qualityFromReadReport(report, null, options.timeUnit),
      ...(floatWrittenIds ? { float_written_ids: floatWrittenIds } : {}),
    };
    const warnings = unscoredHoldout === undefined ? [] : [unscoredHoldoutNote(unscoredHoldout)];
    return { log: null, summaries, report, quality, warnings };
  }
  if (!options.calibrationEnd && options.holdoutEnd) {
    throw new RangeError(
      "holdoutEnd: needs calibrationEnd (--holdout-end needs --calibration-end)",
    );
  }
  const { log, report, quality } = await readLog({
    path: options.path,
    format: options.format,
    ...(options.columns ? { columns: options.columns } : {}),
    onBadRow,
    ...(options.log ? { log: options.log } : {}),
  });
  const { calibrationEnd, holdoutEnd, note } = options.calibrationEnd
    ? givenWindow(log, options.calibrationEnd, options.holdoutEnd)
    : defaultWindow(log, options.timeUnit);
  const summaries = summarize(log, {
    calibrationEnd,
    ...(holdoutEnd ? { holdoutEnd } : {}),
    timeUnit: options.timeUnit,
  });
  const source = options.log?.source;
  const query = quality.query ?? (source?.kind === "postgres" ? source.query : undefined);
  requireRepeatBuyers(log, summaries, {
    ...customerColumnOf(options),
    ...(query !== undefined ? { query } : {}),
    calibrationEnd,
    calibrationGiven: options.calibrationEnd !== undefined,
  });
  const warnings = [
    ...(note ? [note] : []),
    ...(holdoutEnd ? holdoutReach(log, calibrationEnd, holdoutEnd, quality.skipped) : []),
    ...(holdoutEnd ? holdoutBuyers(summaries, options.calibrationEnd !== undefined) : []),
  ];
  return { log, summaries, report, quality, warnings };
}

/** Holdout counts in a summary file without --holdout-end are not scored: say so, and how to. */
function unscoredHoldoutNote(column: string): string {
  return (
    `the file has each customer's holdout purchases (column "${column}") but no --holdout-end: ` +
    "they are not scored; pass --calibration-end and --holdout-end, the dates the file was split at, to evaluate on them"
  );
}

/** How the log's customer id is named in messages, and the option that chooses it. */
function customerColumnOf(options: LoadOptions): {
  customerColumn: string;
  column?: string;
  customerOption?: string;
} {
  if (options.format === "cdnow")
    return { customerColumn: "the CDNOW file's customer id (field 1)" };
  const name =
    options.log?.columns?.customerId ?? options.columns?.customerId ?? DEFAULT_CUSTOMER_COLUMN;
  return { customerColumn: `column "${name}"`, column: name, customerOption: "--customer-col" };
}

/**
 * The split with --calibration-end given. Without --holdout-end the holdout runs to the log's last
 * purchase (as lifetimes' observation_period_end defaults to it); before, it was left out, and
 * with it the evaluation and the GBDT, with nothing said. No purchase after the calibration end:
 * nothing is held out, which is said.
 */
function givenWindow(
  log: TransactionLog,
  calibrationEnd: string,
  holdoutEnd: string | undefined,
): { calibrationEnd: string; holdoutEnd?: string; note: string | null } {
  if (holdoutEnd) return { calibrationEnd, holdoutEnd, note: null };
  const { last } = purchaseDayRange(log);
  if (!(last > isoDateToDay(calibrationEnd))) {
    const lastDate = Number.isFinite(last) ? ` (the last is on ${dayToIsoDate(last)})` : "";
    const note =
      `no purchase after --calibration-end ${calibrationEnd}${lastDate}: nothing is held out; ` +
      "pass an earlier --calibration-end to evaluate";
    return { calibrationEnd, note };
  }
  const end = dayToIsoDate(last);
  const note =
    `no --holdout-end: the holdout runs from after ${calibrationEnd} to the log's last purchase ` +
    `(${end}); pass --holdout-end to choose`;
  return { calibrationEnd, holdoutEnd: end, note };
}

/** The longest holdout chosen for a log given without --calibration-end: a year. */
const LONGEST_DEFAULT_HOLDOUT_DAYS = 364;

/**
 * The split when none is given: the holdout is the last third of the log's span (in whole time
 * units, a year at most) and ends on its last purchase, so a first `ml train --data log.csv`
 * evaluates without the user knowing the dates. Too short a log to split is an error.
 */
function defaultWindow(
  log: TransactionLog,
  timeUnit: TimeUnit,
): { calibrationEnd: string; holdoutEnd: string; note: string } {
  const { first, last } = purchaseDayRange(log);
  const unit = unitDays(timeUnit);
  const units = Math.floor(Math.min((last - first) / 3, LONGEST_DEFAULT_HOLDOUT_DAYS) / unit);
  if (!(units >= 1)) {
    const span = Number.isFinite(last) ? `spans ${last - first + 1} day(s)` : "holds no purchase";
    throw new InputError(undefined, `the log ${span}: too short to hold a part out`, {
      hint: "pass --calibration-end (and --holdout-end), or a longer log",
    });
  }
  const calibrationEnd = dayToIsoDate(last - units * unit);
  const holdoutEnd = dayToIsoDate(last);
  const note =
    `no --calibration-end: the last ${units} ${timeUnit}s of the log (after ${calibrationEnd}, to ` +
    `${holdoutEnd}) are held out to evaluate on; pass --calibration-end and --holdout-end to choose`;
  return { calibrationEnd, holdoutEnd, note };
}
