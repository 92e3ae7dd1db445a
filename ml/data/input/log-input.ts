// What to read and how: the source (CSV/TSV file, gzip or not; Parquet; a PostgreSQL table or
// query), which columns hold what, how dates are written, and what to do with returns and bad rows.
// One description for every source, so `ml train` takes the same column options for all of them.

import type { BadRowPolicy } from "../bad-rows.ts";

/** Formats of a transaction log, as `--format` takes them (cdnow has a reader of its own). */
export const LOG_FORMATS = ["csv", "parquet", "json", "xlsx", "postgres", "cdnow"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Text encodings of a CSV: UTF-8 and UTF-16 DuckDB decodes itself; Latin-1 and Windows-1252
 * (both read as Windows-1252, as browsers do) and the others (Big5, Shift_JIS, …) through a UTF-8
 * copy.
 */
/**
 * Encodings besides UTF-8, UTF-16 and Windows-1252 that shops' exports come in (other-encodings.ts).
 * Listed here, not there: services import this module, and that one reads files (node:fs), which
 * a Worker cannot load.
 */
export const OTHER_ENCODINGS = [
  "big5",
  "gbk",
  "gb18030",
  "shift_jis",
  "euc-jp",
  "euc-kr",
  "windows-1250",
  "windows-1251",
] as const;
export type OtherEncoding = (typeof OTHER_ENCODINGS)[number];

export const CSV_ENCODINGS = [
  "utf-8",
  "utf-16",
  "latin-1",
  "windows-1252",
  ...OTHER_ENCODINGS,
] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

export type LogSource =
  | {
      kind: "csv";
      path: string;
      delimiter?: string;
      header?: boolean;
      /** Sniffed when omitted: UTF-16 by its byte-order mark, else UTF-8, else Windows-1252. */
      encoding?: CsvEncoding;
      /** Lines above the header (a report title, an export date); sniffed when omitted. */
      skipLines?: number;
      /**
       * "mixed": CRLF and LF both, so read from a copy with LF only (line-ends.ts). Found in the
       * file's head and tail, or by the reader when a read fails on a change in the middle.
       */
      lineEnds?: "mixed";
      /**
       * Set by the reader when a file sniffed as UTF-8 has bytes that are not: each line is then
       * read as UTF-8 when it is, else as Windows-1252 (line-encodings.ts).
       */
      lineByLine?: boolean;
    }
  | {
      kind: "parquet";
      /** The file, or the folder or pattern its parts were found by (in messages). */
      path: string;
      /** Parquet parts read as one table, in order (a Spark or Databricks export). */
      files?: string[];
    }
  | {
      kind: "json";
      /** The file, or the folder or pattern its parts were found by (in messages). */
      path: string;
      /** Newline-delimited JSON parts read as one table, in order (a BigQuery export). */
      files?: string[];
    }
  /** An Excel workbook: every sheet whose first row names the columns, or only `sheet`. */
  | { kind: "xlsx"; path: string; sheet?: string }
  | { kind: "postgres"; url: string; table?: string; query?: string }
  /** A DuckDB query over a folder's files (or one file), each a table named by its file. */
  | {
      kind: "query";
      path: string;
      query: string;
      /** --encoding: each CSV the query names that is not UTF-8 is read in it (file-query.ts). */
      encoding?: CsvEncoding;
      /** --delimiter and --skip-lines: every CSV the query names is laid out so. */
      delimiter?: string;
      skipLines?: number;
    };

/** The columns that hold numbers: a line's value, or its quantity and unit price. */
export type NumericRole = "amount" | "quantity" | "price";

export interface LogColumns {
  customerId: string;
  date: string;
  /** The line's value; or give quantity and price (amount = quantity × price). */
  amount?: string;
  quantity?: string;
  price?: string;
  /** Order / invoice id: the lines of one order are one purchase (on the order's first day). */
  order?: string;
  /** The column whose values `keepValues` lists: other rows are left out (an event type). */
  keepBy?: string;
  /** The column whose values `dropValues` lists: those rows are left out (an order status). */
  dropBy?: string;
  /**
   * The column whose values `returnValues` lists: those rows are returns whatever their sign (a
   * point-of-sale export's Type=Return rows, written positive).
   */
  returnBy?: string;
  /**
   * With amountPer "order": the column telling an order's payments apart (Olist's
   * payment_sequential), so two payments of one value (voucher 50.00 + card 50.00) are both read.
   */
  payment?: string;
}

export interface LogInput {
  source: LogSource;
  columns: LogColumns;
  /**
   * strftime pattern such as `%m/%d/%Y %H:%M`, or epoch, epoch_ms, epoch_us, epoch_ns, excel, excel1904 or
   * `days since YYYY-MM-DD` for dates written as numbers, dotnet for .NET's `/Date(ms)/`;
   * sniffed when omitted.
   */
  dateFormat?: string;
  /** "," for numbers such as 1.234,56; "." for 1,234.56 (sniffed when omitted). */
  decimalSeparator?: "." | ",";
  /** IANA zone of the shop: timestamps with an offset are converted to its calendar day. */
  timezone?: string;
  /** Regular expression on the order id marking cancellations, e.g. `^C`. */
  cancelPattern?: string;
  /** Returns subtract from spend ("net", default) or are ignored ("drop"). */
  returns?: "net" | "drop";
  onBadRow?: BadRowPolicy;
  /**
   * The log has no amounts (an event log, free sign-ups): every purchase is worth 0, and no spend
   * is modelled. Without it, a log with neither amount nor price column is an error.
   */
  noAmount?: boolean;
  /** With columns.keepBy: only rows whose value (trimmed text) is one of these are read. */
  keepValues?: string[];
  /** With columns.dropBy: rows whose value (trimmed text) is one of these are left out. */
  dropValues?: string[];
  /** With columns.returnBy: rows whose value (trimmed text) is one of these are returns. */
  returnValues?: string[];
  /**
   * Customer ids compared without case and read lower-cased (--ignore-id-case): e-mail addresses
   * typed by customers (User5@Example.com and user5@example.com are one person).
   */
  ignoreIdCase?: boolean;
  /**
   * How amounts are written: `minor`, in the currency's smallest unit (Stripe's API: 5000 cents is
   * 50.00, read divided by the unit of the row's currency); `major`, in whole units. Stripe's
   * records with whole-number amounts are refused until it is given (minor-units.ts).
   */
  amountUnit?: "minor" | "major";
  /**
   * What one amount of --amount-col is for: `line`, each line's own value (lines added up);
   * `order`, the order's total repeated on its lines (WooCommerce's Order Total Amount), read once
   * per order (needs columns.order). Unset, a column that carries one amount on every line of most
   * orders is refused (order-totals.ts).
   */
  amountPer?: "line" | "order";
  /**
   * What "CR" marks on an amount (1.00 CR): `return`, a credit (a refund, negative; "DR" is a
   * sale), the reading without it; `sale`, a shop's own sales account, whose sales are credits and
   * refunds debits. Unset, a column that marks most amounts "CR", or "Cr" after a rupee amount
   * (also a crore), is refused (credit-marks.ts).
   */
  creditIs?: "sale" | "return";
  /**
   * The currency a bare "$" (or ¥, kr) stands for, e.g. CAD: a Canadian shop's "$25.00" and
   * "CAD 10.00" are one currency. Unset, "$" is the US dollar (currency-mix.ts).
   */
  signCurrency?: string;
  /**
   * Today, `YYYY-MM-DD` (default: the clock's). A row dated more than a day after it is a typo
   * (2091 for 2019), not a purchase: skipped as "date in the future". Kept in, it would move the
   * production model's as-of date decades ahead.
   */
  today?: string;
}

/** `--amount-col none`: the log has no amounts (see LogInput.noAmount). */
export const NO_AMOUNT = "none";

/** The reason of a row a --keep-rows / --drop-rows filter left out: counted apart, never a bad row. */
export const LEFT_OUT_BY_FILTER = "left out by a row filter";

/**
 * The reason of a line without an amount whose order has one on another line (Shopify writes an
 * order's Total on its first line only): part of a purchase already counted, never a bad row.
 */
export const AMOUNT_ON_ANOTHER_LINE = "order line whose amount is on another line of its order";

/**
 * The amount column when it is read alone (neither --quantity-col nor --price-col, nor
 * --amount-col none): the reads where a count or a unit price may stand in for the line's amount.
 */
export function amountReadAlone(input: Pick<LogInput, "columns" | "noAmount">): string | null {
  const { amount, quantity, price } = input.columns;
  if (input.noAmount || amount === undefined || quantity !== undefined || price !== undefined) {
    return null;
  }
  return amount;
}

/** The filters as the options that set them, e.g. `--keep-rows event=transaction`. */
export function rowFilterOptions(input: Pick<LogInput, "columns" | "keepValues" | "dropValues">) {
  const out: string[] = [];
  const { keepBy, dropBy } = input.columns;
  if (keepBy !== undefined) out.push(`--keep-rows ${keepBy}=${(input.keepValues ?? []).join(",")}`);
  if (dropBy !== undefined) out.push(`--drop-rows ${dropBy}=${(input.dropValues ?? []).join(",")}`);
  return out;
}

/** The source's name in messages (never a password). */
export function sourceName(source: LogSource): string {
  if (source.kind === "xlsx" && source.sheet !== undefined) {
    return `${source.path} sheet "${source.sheet}"`;
  }
  if (source.kind === "query") return `${source.path} query`;
  if (source.kind !== "postgres") return source.path;
  const url = source.url.replace(/\/\/([^:@/]*)(:[^@/]*)?@/, "//$1@");
  return `${url} ${source.table ? `table ${source.table}` : "query"}`;
}

/** File names --data reads as Parquet, and as newline-delimited JSON (gzipped or not). */
export const PARQUET_FILE = /\.parquet$/i;
export const JSON_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/**
 * `--format` other than the default beside a folder's --query: refused, as it would be ignored
 * (a query reads each file by its extension, and cdnow/summary read no query).
 */
export function refuseFormatWithQuery(options: { data: string; query?: string; format?: string }) {
  const { data, query, format } = options;
  if (!query || format === undefined || format === "csv" || /^postgres(ql)?:\/\//.test(data))
    return;
  throw new RangeError(
    `--format ${format}: not with --query (the query reads each file of the folder by its extension: .csv/.tsv/.txt as CSV, .parquet as Parquet, .json/.jsonl/.ndjson as JSON); drop --format, or read one file alone with --format ${format} and no --query`,
  );
}

/** Takes `--data` as a source: postgres:// URLs, .parquet and .json files, else CSV/TSV. */
export function sourceFromArguments(options: {
  data: string;
  table?: string;
  query?: string;
  delimiter?: string;
  format?: string;
  sheet?: string;
  encoding?: CsvEncoding;
  skipLines?: number;
}): LogSource {
  const { data } = options;
  if (/^postgres(ql)?:\/\//.test(data)) {
    if (!options.table === !options.query) {
      throw new RangeError("--data postgres://…: pass exactly one of --table T or --query SQL");
    }
    return {
      kind: "postgres",
      url: data,
      ...(options.table ? { table: options.table } : {}),
      ...(options.query ? { query: options.query } : {}),
    };
  }
  refuseFormatWithQuery(options);
  if (options.sheet !== undefined && options.format !== "xlsx" && !/\.xlsx$/i.test(data)) {
    throw new RangeError("--sheet: only with an .xlsx workbook");
  }
  if (options.query && !options.table) {
    const { encoding, delimiter, skipLines } = options;
    return {
      kind: "query",
      path: data,
      query: options.query,
      ...(encoding ? { encoding } : {}),
      ...(delimiter ? { delimiter } : {}),
      ...(skipLines !== undefined ? { skipLines } : {}),
    };
  }
  if (options.table) {
    throw new RangeError(
      "--table: only with --data postgres://… (a folder's files are tables of --query)",
    );
  }
  if (options.format === "xlsx" || /\.xlsx$/i.test(data)) {
    return { kind: "xlsx", path: data, ...(options.sheet ? { sheet: options.sheet } : {}) };
  }
  if (options.format === "parquet" || PARQUET_FILE.test(data))
    return { kind: "parquet", path: data };
  if (options.format === "json" || JSON_FILE.test(data)) {
    return { kind: "json", path: data };
  }
  return {
    kind: "csv",
    path: data,
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.skipLines !== undefined ? { skipLines: options.skipLines } : {}),
  };
}
