// Reads a transaction log for every command that takes one (train, track, campaign report): CDNOW
// text through its own reader, every other source (CSV/TSV, gzip, Parquet, JSON, Excel, PostgreSQL)
// through the DuckDB input layer, with the same column options and one DataQuality account.

import type { BadRowPolicy } from "../data/bad-rows.ts";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import { type DataQuality, qualityFromReadReport } from "../data/input/data-quality.ts";
import {
  type LogColumns,
  type LogFormat,
  type LogInput,
  type LogSource,
  NO_AMOUNT,
} from "../data/input/log-input.ts";
import { readTransactionLog } from "../data/input/read-transaction-log.ts";
import { readPossiblyZipped } from "../data/input/zip-source.ts";
import type { ReadReport, TransactionLog } from "../data/transaction-log.ts";

export { LOG_FORMATS, type LogFormat } from "../data/input/log-input.ts";

/** How a transaction log is read (the DuckDB input layer's options besides the source). */
export type LogReadOptions = Omit<LogInput, "source" | "columns" | "onBadRow"> & {
  source?: LogSource;
  columns?: Partial<LogColumns>;
};

/**
 * The log options for reading purchases of a model trained with --ignore-id-case (its ids are
 * lower-cased): so read, whether or not the option was given again.
 */
export function logOptionsFor(
  log: LogReadOptions | undefined,
  idsLowerCased: boolean | undefined,
): { log?: LogReadOptions } {
  if (idsLowerCased) return { log: { ...log, ignoreIdCase: true } };
  return log ? { log } : {};
}

/** The customer id column when none is named. */
export const DEFAULT_CUSTOMER_COLUMN = "customer_id";

export interface LogRequest {
  path: string;
  format: LogFormat;
  /** Column roles; default customer_id, date, amount. */
  columns?: Partial<LogColumns>;
  onBadRow?: BadRowPolicy;
  /** Extra options of the csv / parquet / json / postgres formats. */
  log?: LogReadOptions;
}

export interface ReadLog {
  log: TransactionLog;
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

export async function readLog(request: LogRequest): Promise<ReadLog> {
  const onBadRow = request.onBadRow ?? "skip";
  if (request.format === "cdnow") {
    const { log, report } = await readPossiblyZipped(request.path, (path) =>
      readCdnowLog(path, { onBadRow }),
    );
    return { log, report, quality: qualityFromReadReport(report, log) };
  }
  const extra = request.log ?? {};
  const source: LogSource =
    extra.source ??
    (request.format === "parquet" || request.format === "json" || request.format === "xlsx"
      ? { kind: request.format, path: request.path }
      : { kind: "csv", path: request.path });
  const columns: LogColumns = {
    customerId: DEFAULT_CUSTOMER_COLUMN,
    date: "date",
    ...request.columns,
    ...extra.columns,
  } as LogColumns;
  if (columns.price !== undefined || columns.amount === NO_AMOUNT) delete columns.amount;
  else columns.amount ??= "amount";
  const noAmount = columns.amount === undefined && columns.price === undefined;
  const { log, quality } = await readTransactionLog({
    ...extra,
    source,
    columns,
    onBadRow,
    ...(noAmount ? { noAmount } : {}),
  });
  return { log, quality, report: reportOf(quality) };
}
