// Reads the training data in any of the supported formats (transaction logs from CSV/TSV, Parquet
// or PostgreSQL through the DuckDB input layer; CDNOW text; precomputed customer summaries),
// summarises transaction logs at the calibration end, and accounts for every row (DataQuality).

import type { BadRowPolicy } from "../data/bad-rows.ts";
import { type DataQuality, qualityFromReadReport } from "../data/input/data-quality.ts";
import type { LogColumns } from "../data/input/log-input.ts";
import { readSummaryCsv } from "../data/summary-reader.ts";
import type { ReadReport, TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { summarize } from "../features/summaries.ts";
import { type LogReadOptions, readLog } from "./read-log.ts";
import type { DataFormat } from "./train-models.ts";

export interface LoadOptions {
  path: string;
  format: DataFormat;
  /** Required for transaction logs; optional for summaries (t_x and T are already computed). */
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
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
  const { log, report, quality } = await readLog({
    path: options.path,
    format: options.format,
    ...(options.columns ? { columns: options.columns } : {}),
    onBadRow,
    ...(options.log ? { log: options.log } : {}),
  });
  const summaries = summarize(log, {
    calibrationEnd: options.calibrationEnd,
    ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
    timeUnit: options.timeUnit,
  });
  return { log, summaries, report, quality };
}
