// Reader for per-customer summaries computed elsewhere (`ml train --format summary`, e.g. the
// output of summaries.sql run in a warehouse): CSV with header id,x,t_x,T,monetary and optionally
// first_spend, holdout_purchases, holdout_spend. lifetimes' and PyMC-Marketing's names are read
// too (frequency, recency, T, monetary_value, the _cal/_holdout ones, pandas' unnamed index).
// Bad rows are reported with line numbers.

import { MAX_AMOUNT, MAX_SUMMARY_TIME } from "@pp/shared/contracts/forecast-request.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { impossibleSummary } from "../features/possible-summary.ts";
import { unitDays } from "../features/summaries.ts";
import { BadRowError, type BadRowPolicy, ReadReporter } from "./bad-rows.ts";
import { opensQuotedField, parseNonNegative, splitCsvRecord } from "./csv-fields.ts";
import { wholeNumberIds } from "./input/customer-id-format.ts";
import { NUL_IN_ID } from "./input/skip-reasons.ts";
import { checkDataFile } from "./input/source-file.ts";
import { forEachLine } from "./line-reader.ts";
import { dayToIsoDate, isoDateToDay, type ReadReport } from "./transaction-log.ts";

export interface SummaryCsvOptions {
  /**
   * The unit t_x and T are in; default "week", except for lifetimes' names (recency, recency_cal),
   * which need it given: lifetimes counts in days unless told freq="W", and a summary in days read
   * as weeks forecast a 13-week horizon as 13 days, a seventh of the truth, without a word.
   */
  timeUnit?: TimeUnit;
  /**
   * Calibration end the summaries were computed at, `YYYY-MM-DD`; used for `firstDay`
   * (= calibration end − T). Without it the calibration end is taken as day 0 (1970-01-01).
   */
  calibrationEnd?: string;
  /** Holdout end, when the file has holdout columns; sets `holdoutLength`. */
  holdoutEnd?: string;
  onBadRow?: BadRowPolicy;
  delimiter?: string;
}

const REQUIRED = ["x", "t_x", "T", "monetary"] as const;
const OPTIONAL = ["first_spend", "holdout_purchases", "holdout_spend"] as const;
const COLUMNS = [...REQUIRED, ...OPTIONAL] as const;
type Column = (typeof COLUMNS)[number];
/** Accepted spellings of the id column (the SQL query writes customer_id). */
const ID_COLUMNS = ["id", "customer_id", "CustomerID", "Customer ID"];
/**
 * Other names of the columns: lifetimes' `summary_data_from_transaction_data` (and
 * PyMC-Marketing's `rfm_summary`) write frequency, recency, T, monetary_value; its
 * `calibration_and_holdout_data` the same with _cal, and frequency_holdout.
 */
const ALIASES: Record<string, Column> = {
  frequency: "x",
  recency: "t_x",
  monetary_value: "monetary",
  frequency_cal: "x",
  recency_cal: "t_x",
  T_cal: "T",
  monetary_value_cal: "monetary",
  frequency_holdout: "holdout_purchases",
};

/** Where each column sits in a record: −1 for an optional column the file lacks. */
type ColumnPositions = { id: number } & Record<Column, number>;

export async function readSummaryCsv(
  path: string,
  options: SummaryCsvOptions = {},
): Promise<{
  summaries: CustomerSummaries;
  report: ReadReport;
  floatWrittenIds?: string;
  /** The holdout-purchases column as the file names it, when read without a holdout end. */
  unscoredHoldout?: string;
}> {
  checkDataFile(path);
  const timeUnit = options.timeUnit ?? "week";
  const unit = unitDays(timeUnit);
  const delimiter = options.delimiter ?? ",";
  const calibrationDay = calibrationDayOf(options.calibrationEnd ?? "1970-01-01");
  const holdoutLength = holdoutLengthOf(options.holdoutEnd, calibrationDay, unit);
  const reporter = new ReadReporter(path, options.onBadRow ?? "skip");
  const columns = emptyColumns();
  const ids: string[] = [];
  const seen = new Set<string>();
  let positions: ColumnPositions | null = null;
  let width = 0;
  let durationAt = -1;
  let unscoredHoldout: string | undefined;

  await forEachLine(path, (text, line) => {
    if (positions === null) {
      const names = splitCsvRecord(text, delimiter).map((h) => h.trim());
      positions = columnPositions(path, names, line);
      width = names.length;
      if (options.holdoutEnd !== undefined) durationAt = names.indexOf("duration_holdout");
      else if (positions.holdout_purchases >= 0)
        unscoredHoldout = names[positions.holdout_purchases];
      if (options.timeUnit === undefined) refuseUnitlessLifetimes(path, names, line);
      if (options.holdoutEnd !== undefined && positions.holdout_purchases < 0) {
        // Scored against zeros, every model would look as if it forecast too much.
        throw new BadRowError(path, {
          line,
          field: "holdout_purchases",
          message:
            "--holdout-end needs each customer's holdout purchases: a holdout_purchases column (lifetimes' frequency_holdout), or leave --holdout-end out",
        });
      }
      return;
    }
    if (text.trim().length === 0) return;
    if (durationAt >= 0 && reporter.rowsRead === 0) {
      const written = splitCsvRecord(text, delimiter)[durationAt] ?? "";
      checkDurationHoldout(path, line, written, holdoutLength, timeUnit, options);
    }
    reporter.rowsRead++;
    const row = parseSummaryRow(text, line, delimiter, width, positions, seen, reporter);
    if (row === null) return;
    const impossible = impossibleSummary(row.values.x, row.values.t_x, timeUnit);
    if (impossible !== null) {
      const hint = `are t_x and T in ${timeUnit}s (--time-unit) and x counted once a day?`;
      reporter.bad(line, "t_x", `${impossible}: ${hint}`);
      return;
    }
    seen.add(row.id);
    ids.push(row.id);
    for (const c of COLUMNS) columns[c].push(row.values[c]);
    reporter.rowsKept++;
  });
  if (positions === null)
    throw new BadRowError(path, { line: 1, message: "empty file: no header line" });
  // lifetimes' summaries of a float64 CustomerID column are indexed 17850.0.
  const whole = wholeNumberIds(ids);
  const summaries = toSummaries(whole ?? ids, columns, calibrationDay, unit, holdoutLength, {
    calibrationEnd: dayToIsoDate(calibrationDay),
    ...(options.holdoutEnd === undefined ? {} : { holdoutEnd: options.holdoutEnd }),
    timeUnit,
  });
  const floatWritten = whole ? { floatWrittenIds: ids[0] as string } : {};
  const unscored = unscoredHoldout === undefined ? {} : { unscoredHoldout };
  return { summaries, report: reporter.report(), ...floatWritten, ...unscored };
}

function calibrationDayOf(calibrationEnd: string): number {
  const calibrationDay = isoDateToDay(calibrationEnd);
  if (Number.isNaN(calibrationDay)) {
    throw new RangeError(
      `calibrationEnd: not a YYYY-MM-DD date: ${JSON.stringify(calibrationEnd)}`,
    );
  }
  return calibrationDay;
}

/**
 * lifetimes' duration_holdout is the holdout's length in the unit the file counts in: one that
 * differs from the dates' length in --time-unit means the unit (or the dates) are not the file's.
 * Read on, a day-counted file as weeks forecast the holdout a seventh of its purchases.
 */
function checkDurationHoldout(
  path: string,
  line: number,
  written: string,
  holdoutLength: number,
  timeUnit: TimeUnit,
  options: SummaryCsvOptions,
): void {
  const duration = parseNonNegative(written);
  if (Number.isNaN(duration)) return; // not lifetimes' column: nothing to compare
  if (Math.abs(duration - holdoutLength) <= 1e-6 * Math.max(1, holdoutLength)) return;
  const round = (v: number) => Number(v.toPrecision(6));
  throw new BadRowError(path, {
    line,
    field: "duration_holdout",
    message:
      `column "duration_holdout" is ${round(duration)}, but --calibration-end ${options.calibrationEnd} ` +
      `to --holdout-end ${options.holdoutEnd} is ${round(holdoutLength)} ${timeUnit}s: pass the ` +
      '--time-unit the file counts in (lifetimes: days unless written with freq="W") and the dates it was split at',
  });
}

/** The holdout's length in time units (0 without a holdout end). */
function holdoutLengthOf(holdoutEnd: string | undefined, calibrationDay: number, unit: number) {
  if (holdoutEnd === undefined) return 0;
  const holdoutDay = isoDateToDay(holdoutEnd);
  if (Number.isNaN(holdoutDay) || holdoutDay < calibrationDay) {
    throw new RangeError(`holdoutEnd: not a YYYY-MM-DD date after calibrationEnd: ${holdoutEnd}`);
  }
  return (holdoutDay - calibrationDay) / unit;
}

function emptyColumns(): Record<Column, number[]> {
  return {
    x: [],
    t_x: [],
    T: [],
    monetary: [],
    first_spend: [],
    holdout_purchases: [],
    holdout_spend: [],
  };
}

/** Positions of the columns in the header; a missing id or required column is a BadRowError. */
/** lifetimes' and PyMC-Marketing's summaries count in days unless told otherwise: ask which. */
function refuseUnitlessLifetimes(path: string, names: readonly string[], line: number): void {
  const recency = names.find((n) => n === "recency" || n === "recency_cal");
  if (recency === undefined) return;
  throw new BadRowError(path, {
    line,
    field: recency,
    message:
      `column "${recency}" is lifetimes' (or PyMC-Marketing's), which counts recency and T in days ` +
      'unless written with freq="W": pass --time-unit day (their default) or --time-unit week',
  });
}

function columnPositions(path: string, header: string[], line: number): ColumnPositions {
  const names = header.map((h) => ALIASES[h] ?? h);
  // pandas writes its index (the customer id) under an empty name in the first column.
  let idAt = names.findIndex((h) => ID_COLUMNS.includes(h));
  if (idAt < 0 && names[0] === "") idAt = 0;
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (idAt < 0 || missing.length > 0) {
    const absent = idAt < 0 ? ["id", ...missing] : missing;
    throw new BadRowError(path, {
      line,
      field: absent[0],
      message: `the header lacks ${absent.join(", ")} (expected id,x,t_x,T,monetary, or lifetimes' customer_id,frequency,recency,T,monetary_value)`,
    });
  }
  const at = (c: Column) => names.indexOf(c);
  return {
    id: idAt,
    x: at("x"),
    t_x: at("t_x"),
    T: at("T"),
    monetary: at("monetary"),
    first_spend: at("first_spend"),
    holdout_purchases: at("holdout_purchases"),
    holdout_spend: at("holdout_spend"),
  };
}

/** One record's id and values, or null after reporting why the row is bad (or a repeated id). */
function parseSummaryRow(
  text: string,
  line: number,
  delimiter: string,
  width: number,
  positions: ColumnPositions,
  seen: ReadonlySet<string>,
  reporter: ReadReporter,
): { id: string; values: Record<Column, number> } | null {
  if (opensQuotedField(text)) {
    reporter.bad(line, undefined, "unterminated quoted field");
    return null;
  }
  const f = splitCsvRecord(text, delimiter);
  if (f.length !== width) {
    reporter.bad(line, undefined, `expected ${width} columns, got ${f.length}`);
    return null;
  }
  const id = (f[positions.id] ?? "").trim();
  if (id.length === 0) {
    reporter.bad(line, "id", "missing customer id");
    return null;
  }
  if (id.includes("\u0000")) {
    reporter.bad(line, "id", NUL_IN_ID.text); // the registry could not store it
    return null;
  }
  if (seen.has(id)) {
    reporter.bad(line, "id", `duplicate customer id "${id}"`);
    return null;
  }
  const values = emptyValues();
  for (const c of COLUMNS) {
    const i = positions[c];
    if (i < 0) continue;
    const v = parseNonNegative(f[i] ?? "");
    if (Number.isNaN(v)) {
      reporter.bad(line, c, `not a non-negative finite number: "${f[i]}"`);
      return null;
    }
    values[c] = v;
  }
  const problem = summaryRowProblem(values);
  if (problem) {
    reporter.bad(line, problem.field, problem.message);
    return null;
  }
  return { id, values };
}

function emptyValues(): Record<Column, number> {
  return {
    x: 0,
    t_x: 0,
    T: 0,
    monetary: 0,
    first_spend: 0,
    holdout_purchases: 0,
    holdout_spend: 0,
  };
}

/** Why a row's numbers cannot be a customer summary, or null when they can. */
function summaryRowProblem(
  values: Record<Column, number>,
): { field: Column; message: string } | null {
  const { x, t_x, T, holdout_purchases } = values;
  if (!Number.isInteger(x)) return { field: "x", message: `not a whole number of purchases: ${x}` };
  if (!Number.isInteger(holdout_purchases)) {
    return { field: "holdout_purchases", message: `not a whole number: ${holdout_purchases}` };
  }
  // The forecast API's bounds: a model is not trained on summaries it would refuse to be asked.
  if (x > MAX_SUMMARY_TIME) return { field: "x", message: `above ${MAX_SUMMARY_TIME}: ${x}` };
  if (T > MAX_SUMMARY_TIME) return { field: "T", message: `above ${MAX_SUMMARY_TIME}: ${T}` };
  for (const field of ["monetary", "first_spend", "holdout_spend"] as const) {
    const v = values[field];
    if (v > MAX_AMOUNT) return { field, message: `above ${MAX_AMOUNT}: ${v}` };
  }
  if (t_x > T) return { field: "t_x", message: `recency t_x = ${t_x} exceeds age T = ${T}` };
  if (x === 0 && t_x > 0) {
    return { field: "t_x", message: `t_x = ${t_x} but x = 0 (no repeat purchase)` };
  }
  return null;
}

function toSummaries(
  ids: string[],
  columns: Record<Column, number[]>,
  calibrationDay: number,
  unit: number,
  holdoutLength: number,
  options: CustomerSummaries["options"],
): CustomerSummaries {
  const n = ids.length;
  const T = Float64Array.from(columns.T);
  const firstDay = new Int32Array(n);
  for (let i = 0; i < n; i++) firstDay[i] = calibrationDay - Math.round(T[i]! * unit);
  return {
    ids,
    n,
    x: Float64Array.from(columns.x),
    tx: Float64Array.from(columns.t_x),
    T,
    monetary: Float64Array.from(columns.monetary),
    firstSpend: Float64Array.from(columns.first_spend),
    firstDay,
    holdoutPurchases: Float64Array.from(columns.holdout_purchases),
    holdoutSpend: Float64Array.from(columns.holdout_spend),
    holdoutLength,
    excludedAfterCalibration: 0,
    options,
  };
}
