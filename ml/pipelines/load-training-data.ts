// Reads the training data in any of the supported formats (project CSV, CDNOW text, or
// precomputed customer summaries) and summarises transaction logs at the calibration end.

import type { BadRowPolicy } from "../data/bad-rows.ts";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import { type CsvColumns, readCsvLog } from "../data/csv-reader.ts";
import { readSummaryCsv } from "../data/summary-reader.ts";
import type { ReadReport, TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { summarize } from "../features/summaries.ts";
import type { DataFormat } from "./train-models.ts";

export interface LoadOptions {
  path: string;
  format: DataFormat;
  /** Required for transaction logs; optional for summaries (t_x and T are already computed). */
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  columns?: Partial<CsvColumns>;
  onBadRow?: BadRowPolicy;
}

export interface LoadedData {
  log: TransactionLog | null;
  summaries: CustomerSummaries;
  report: ReadReport;
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
    return { log: null, summaries, report };
  }
  const { log, report } =
    options.format === "cdnow"
      ? await readCdnowLog(options.path, { onBadRow })
      : await readCsvLog(options.path, {
          onBadRow,
          ...(options.columns ? { columns: options.columns } : {}),
        });
  if (!options.calibrationEnd) {
    throw new RangeError(
      "calibrationEnd: required to summarise a transaction log (--calibration-end)",
    );
  }
  const summaries = summarize(log, {
    calibrationEnd: options.calibrationEnd,
    ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
    timeUnit: options.timeUnit,
  });
  return { log, summaries, report };
}
