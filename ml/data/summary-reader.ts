// Reader for per-customer summaries computed elsewhere (`ml train --format summary`, e.g. the
// output of summaries.sql run in a warehouse): CSV with header id,x,t_x,T,monetary and optionally
// first_spend, holdout_purchases, holdout_spend. Bad rows are reported with line numbers.

import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { unitDays } from "../features/summaries.ts";
import { BadRowError, type BadRowPolicy, ReadReporter } from "./bad-rows.ts";
import { opensQuotedField, parseNonNegative, splitCsvRecord } from "./csv-fields.ts";
import { forEachLine } from "./line-reader.ts";
import { dayToIsoDate, isoDateToDay, type ReadReport } from "./transaction-log.ts";

export interface SummaryCsvOptions {
  /** The unit t_x and T are in; default "week". */
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
/** Accepted spellings of the id column (the SQL query writes customer_id). */
const ID_COLUMNS = ["id", "customer_id"];

export async function readSummaryCsv(
  path: string,
  options: SummaryCsvOptions = {},
): Promise<{ summaries: CustomerSummaries; report: ReadReport }> {
  const timeUnit = options.timeUnit ?? "week";
  const unit = unitDays(timeUnit);
  const delimiter = options.delimiter ?? ",";
  const calibrationEnd = options.calibrationEnd ?? "1970-01-01";
  const calibrationDay = isoDateToDay(calibrationEnd);
  if (Number.isNaN(calibrationDay)) {
    throw new RangeError(
      `calibrationEnd: not a YYYY-MM-DD date: ${JSON.stringify(calibrationEnd)}`,
    );
  }
  let holdoutLength = 0;
  if (options.holdoutEnd !== undefined) {
    const holdoutDay = isoDateToDay(options.holdoutEnd);
    if (Number.isNaN(holdoutDay) || holdoutDay < calibrationDay) {
      throw new RangeError(
        `holdoutEnd: not a YYYY-MM-DD date after calibrationEnd: ${options.holdoutEnd}`,
      );
    }
    holdoutLength = (holdoutDay - calibrationDay) / unit;
  }
  const reporter = new ReadReporter(path, options.onBadRow ?? "skip");
  const columns: Record<string, number[]> = {
    x: [],
    t_x: [],
    T: [],
    monetary: [],
    first_spend: [],
    holdout_purchases: [],
    holdout_spend: [],
  };
  const ids: string[] = [];
  const seen = new Set<string>();
  let header: string[] | null = null;
  let at: Record<string, number> = {};

  await forEachLine(path, (text, line) => {
    if (header === null) {
      header = splitCsvRecord(text, delimiter).map((h) => h.trim());
      const names = header;
      const idAt = names.findIndex((h) => ID_COLUMNS.includes(h));
      const missing = REQUIRED.filter((c) => !names.includes(c));
      if (idAt < 0 || missing.length > 0) {
        const absent = idAt < 0 ? ["id", ...missing] : missing;
        throw new BadRowError(path, {
          line,
          field: absent[0],
          message: `the header lacks ${absent.join(", ")} (expected id,x,t_x,T,monetary)`,
        });
      }
      at = { id: idAt };
      for (const c of [...REQUIRED, ...OPTIONAL]) at[c] = names.indexOf(c);
      return;
    }
    if (text.trim().length === 0) return;
    reporter.rowsRead++;
    if (opensQuotedField(text)) {
      reporter.bad(line, undefined, "unterminated quoted field");
      return;
    }
    const f = splitCsvRecord(text, delimiter);
    if (f.length !== header.length) {
      reporter.bad(line, undefined, `expected ${header.length} columns, got ${f.length}`);
      return;
    }
    const id = (f[at.id as number] as string).trim();
    if (id.length === 0) return reporter.bad(line, "id", "missing customer id");
    if (seen.has(id)) return reporter.bad(line, "id", `duplicate customer id "${id}"`);
    const values: Record<string, number> = {};
    for (const c of [...REQUIRED, ...OPTIONAL]) {
      const i = at[c] as number;
      if (i < 0) {
        values[c] = 0;
        continue;
      }
      const v = parseNonNegative(f[i] as string);
      if (Number.isNaN(v))
        return reporter.bad(line, c, `not a non-negative finite number: "${f[i]}"`);
      values[c] = v;
    }
    const { x, t_x, T, holdout_purchases } = values as Record<string, number>;
    if (!Number.isInteger(x))
      return reporter.bad(line, "x", `not a whole number of purchases: ${x}`);
    if (!Number.isInteger(holdout_purchases)) {
      return reporter.bad(line, "holdout_purchases", `not a whole number: ${holdout_purchases}`);
    }
    if ((t_x as number) > (T as number)) {
      return reporter.bad(line, "t_x", `recency t_x = ${t_x} exceeds age T = ${T}`);
    }
    if (x === 0 && (t_x as number) > 0) {
      return reporter.bad(line, "t_x", `t_x = ${t_x} but x = 0 (no repeat purchase)`);
    }
    seen.add(id);
    ids.push(id);
    for (const c of [...REQUIRED, ...OPTIONAL]) (columns[c] as number[]).push(values[c] as number);
    reporter.rowsKept++;
  });
  if (header === null)
    throw new BadRowError(path, { line: 1, message: "empty file: no header line" });

  const n = ids.length;
  const T = Float64Array.from(columns.T as number[]);
  const firstDay = new Int32Array(n);
  for (let i = 0; i < n; i++) firstDay[i] = calibrationDay - Math.round((T[i] as number) * unit);
  const summaries: CustomerSummaries = {
    ids,
    n,
    x: Float64Array.from(columns.x as number[]),
    tx: Float64Array.from(columns.t_x as number[]),
    T,
    monetary: Float64Array.from(columns.monetary as number[]),
    firstSpend: Float64Array.from(columns.first_spend as number[]),
    firstDay,
    holdoutPurchases: Float64Array.from(columns.holdout_purchases as number[]),
    holdoutSpend: Float64Array.from(columns.holdout_spend as number[]),
    holdoutLength,
    excludedAfterCalibration: 0,
    options: {
      calibrationEnd: dayToIsoDate(calibrationDay),
      ...(options.holdoutEnd === undefined ? {} : { holdoutEnd: options.holdoutEnd }),
      timeUnit,
    },
  };
  return { summaries, report: reporter.report() };
}
