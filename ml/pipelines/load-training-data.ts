// Reads the training data in any of the supported formats (transaction logs from CSV/TSV, Parquet
// or PostgreSQL through the DuckDB input layer; CDNOW text; precomputed customer summaries),
// summarises transaction logs at the calibration end, and accounts for every row (DataQuality).

import type { BadRowPolicy } from "../data/bad-rows.ts";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import type { CsvColumns } from "../data/csv-reader.ts";
import { type DataQuality, qualityFromReadReport } from "../data/input/data-quality.ts";
import type { LogColumns, LogInput, LogSource } from "../data/input/log-input.ts";
import { readTransactionLog } from "../data/input/read-transaction-log.ts";
import { readSummaryCsv } from "../data/summary-reader.ts";
import type { ReadReport, TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { summarize } from "../features/summaries.ts";
import type { DataFormat } from "./train-models.ts";

/** How a transaction log is read (the DuckDB input layer's options besides the source). */
export type LogReadOptions = Omit<LogInput, "source" | "columns" | "onBadRow"> & {
  source?: LogSource;
  columns?: Partial<LogColumns>;
};

export interface LoadOptions {
  path: string;
  format: DataFormat;
  /** Required for transaction logs; optional for summaries (t_x and T are already computed). */
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  columns?: Partial<CsvColumns>;
  onBadRow?: BadRowPolicy;
  /** Extra options of the csv / parquet / postgres formats. */
  log?: LogReadOptions;
}

export interface LoadedData {
  log: TransactionLog | null;
  summaries: CustomerSummaries;
  report: ReadReport;
  quality: DataQuality;
}

/** The read's outcome in the legacy ReadReport shape (rows, skipped, first reasons). */
function reportOf(quality: DataQuality): ReadReport {
  const errors = Object.entries(quality.examples).flatMap(([reason, lines]) =>
    lines.map((line) => ({ line, message: reason })),
  );
  const badRows = Object.values(quality.skipped).reduce((a, b) => a + b, 0);
  return { rowsRead: quality.rows_read, rowsKept: quality.rows_kept, badRows, errors };
}

/** A transaction log (not summaries) in any supported format, with its account of every row. */
export async function readLog(
  options: LoadOptions,
): Promise<{ log: TransactionLog; report: ReadReport; quality: DataQuality }> {
  const onBadRow = options.onBadRow ?? "skip";
  if (options.format === "cdnow") {
    const { log, report } = await readCdnowLog(options.path, { onBadRow });
    return { log, report, quality: qualityFromReadReport(report, log) };
  }
  const extra = options.log ?? {};
  const source: LogSource =
    extra.source ??
    (options.format === "parquet" || options.format === "json"
      ? { kind: options.format, path: options.path }
      : { kind: "csv", path: options.path });
  const columns: LogColumns = {
    customerId: "customer_id",
    date: "date",
    ...options.columns,
    ...extra.columns,
  } as LogColumns;
  if (columns.price !== undefined) delete columns.amount;
  else columns.amount ??= "amount";
  const { log, quality } = await readTransactionLog({ ...extra, source, columns, onBadRow });
  return { log, quality, report: reportOf(quality) };
}

export async function loadTrainingData(options: LoadOptions): Promise<LoadedData> {
  const onBadRow = options.onBadRow ?? "skip";
  if (options.format === "summary") {
    const { summaries, report } = await readSummaryCsv(options.path, {
      timeUnit: options.timeUnit,
      ...(options.calibrationEnd ? { calibrationEnd: options.calibrationEnd } : {}),
      ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
      onBadRow,
    });
    return { log: null, summaries, report, quality: qualityFromReadReport(report, null) };
  }
  if (!options.calibrationEnd) {
    throw new RangeError(
      "calibrationEnd: required to summarise a transaction log (--calibration-end)",
    );
  }
  const { log, report, quality } = await readLog(options);
  const summaries = summarize(log, {
    calibrationEnd: options.calibrationEnd,
    ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
    timeUnit: options.timeUnit,
  });
  return { log, summaries, report, quality };
}
