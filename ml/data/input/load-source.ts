// Opens a log as a DuckDB scan with its column names checked: CSV/TSV through read_csv (delimiter
// and header sniffed, gzip by extension, every column as text so no value is lost to a wrong
// guessed type; malformed records go to reject_errors with their position), Parquet through
// read_parquet, and PostgreSQL through a postgres.js cursor into table `raw` by an appender
// (DuckDB's postgres extension would be downloaded at run time, impossible offline).

import type { DuckDBConnection } from "@duckdb/node-api";
import postgres from "postgres";
import { columnHint } from "./column-suggestion.ts";
import {
  bomEncoding,
  csvHead,
  headerLineWhere,
  holdsAll,
  isBigEndianUtf16,
  onlyBlankLines,
  utf8Copy,
} from "./csv-head.ts";
import { NOT_READ_HINT, queryHeader, withFileViews } from "./file-query.ts";
import { emptyLogError, InputError } from "./input-error.ts";
import type { LineEncodings } from "./line-encodings.ts";
import { fileHasMixedLineEnds, headOrTailMixLineEnds, lfCopy } from "./line-ends.ts";
import { type CsvEncoding, type LogColumns, type LogSource, sourceName } from "./log-input.ts";
import { moneyCurrency } from "./minor-units.ts";
import { flattenRecords } from "./nested-records.ts";
import { isOtherEncoding, otherEncodingHint } from "./other-encodings.ts";
import { dropSheetRepeats, type SheetRepeat, sheetIndexes, withoutRows } from "./sheet-repeats.ts";
import { sideColumns } from "./side-columns.ts";
import { sqlIdentifier, sqlString, subquerySql, tableNameSql } from "./sql-text.ts";
import { loneSurrogateLine } from "./utf16-faults.ts";
import { loadXlsxRows } from "./xlsx-source.ts";

export interface RejectedRecord {
  /** DuckDB's record line (header = 1; a multi-line quoted record counts once). */
  line: number;
  column: string | null;
  kind: string;
  message: string;
}

export interface LoadedSource {
  /**
   * The scan that builds table lines (read once; CSV rejects are stored by it), with `numeric`
   * columns typed DOUBLE by a CSV reader (the fast path for columns of plain numbers).
   */
  scan(numeric: string[]): string;
  /** The same rows for sampling, every CSV column as text (no reject bookkeeping). */
  peek: string;
  /** CSV: every column as text, a malformed record DuckDB's error (a --query's table). */
  table?: string;
  /** CSV: the file DuckDB reads (a copy in the temp folder, or the file itself). */
  readPath?: string;
  /** Column name → DuckDB type. */
  types: Map<string, string>;
  header: boolean;
  /** CSV: lines above the header that the reader skips. */
  skipLines?: number;
  /** CSV: the encoding when it is not UTF-8. */
  encoding?: CsvEncoding;
  /** CSV read line by line: UTF-8 with some lines that are not (line-encodings.ts). */
  windows1252Lines?: LineEncodings;
  /** CSV: CRLF and LF line ends both, read from a copy with LF only. */
  mixedLineEnds?: boolean;
  /** Removes what opening made (a UTF-8 or LF copy of the file); called once read. */
  close?(): Promise<void>;
  /** CSV only, after the scan ran: malformed records DuckDB did not load. */
  rejected(): Promise<RejectedRecord[]>;
  /** A row's number for messages when it is not rowid + 1 (a workbook's sheet row). */
  rowNumber?(rowid: number): number;
  /** A --query over files: its text and the files it read. */
  query?: {
    text: string;
    files: string[];
    decoded: Record<string, string>;
    aboveHeader: Record<string, number>;
  };
  /** A workbook read from several sheets: the sheet a row is in (row numbers are each sheet's). */
  rowSheet?(rowid: number): string;
  /**
   * Workbooks: the sheets read, those left out (no header with the needed columns), and rows of a
   * later sheet left out because an earlier sheet holds them too (sheet-repeats.ts).
   */
  sheets?: { read: string[]; skipped: string[]; repeated?: SheetRepeat[] };
}

/** The distinct source columns the roles name. */
function neededColumns(columns: LogColumns): string[] {
  return [...new Set(Object.values(columns).filter((c): c is string => typeof c === "string"))];
}

/**
 * What holds a source's columns when it has no header line: a query's result, a PostgreSQL table,
 * a Parquet or JSON file (or its parts read as one table). Null for a CSV, whose header is a line.
 */
function columnsOwner(source: LogSource): { has: string; its: string } | null {
  switch (source.kind) {
    case "query":
      return { has: "the query's result has", its: "its" };
    case "postgres":
      return source.table
        ? { has: "the table has", its: "its" }
        : { has: "the query's result has", its: "its" };
    case "parquet":
    case "json":
      return source.files && source.files.length > 1
        ? { has: `the ${source.files.length} parts read as one table have`, its: "their" }
        : { has: "the file has", its: "its" };
    default:
      return null;
  }
}

/**
 * Throws naming every role whose column the source does not have. `read`: a CSV's head and the
 * encoding it was read in, for naming another encoding whose header holds the columns.
 */
function checkColumns(
  columns: LogColumns,
  available: string[],
  source: LogSource,
  read?: { head: Uint8Array; encoding: CsvEncoding },
): void {
  const missing = (Object.entries(columns) as [keyof LogColumns, string | undefined][]).filter(
    (entry): entry is [keyof LogColumns, string] =>
      entry[1] !== undefined && !available.includes(entry[1]),
  );
  const [first] = missing;
  if (!first) return;
  const names = missing.map(([, name]) => `"${name}"`).join(", ");
  // A query's one column: a file of it read as one column, as a single file's is.
  const oneColumn = available.length === 1 && (source.kind === "csv" || source.kind === "query");
  // NUL bytes between the letters: UTF-16 without a byte-order mark, read as UTF-8 (printed raw,
  // the NULs garbled the terminal and said nothing of the encoding).
  const written = available.join("");
  const utf16 = source.kind === "csv" && written.split("\u0000").length > written.length / 3;
  const shown = available.map((n) => n.replaceAll("\u0000", "")).join(", ");
  // Big5 or Shift_JIS read as Windows-1252: the columns listed are mojibake, the names asked not.
  const windows1252 = read?.encoding === "windows-1252" || read?.encoding === "latin-1";
  const otherEncoding =
    read && windows1252
      ? otherEncodingHint(
          read.head,
          missing.map(([, name]) => name),
        )
      : null;
  const none = missing.length > 1 ? `no columns ${names}` : `no column ${names}`;
  const owner = columnsOwner(source);
  const what = owner
    ? `${owner.has} ${none} (${owner.its} columns: ${shown})`
    : `line 1: there ${missing.length > 1 ? "are" : "is"} ${none} (columns: ${shown}${utf16 ? ", with NUL bytes between their letters: UTF-16 text" : ""})`;
  throw new InputError(first[1], `${sourceName(source)}: ${what}`, {
    hint: utf16
      ? "the file is UTF-16 without a byte-order mark: pass --encoding utf-16"
      : otherEncoding
        ? otherEncoding
        : oneColumn
          ? oneColumnHint(
              available[0] ?? "",
              missing.map(([, name]) => name),
              source.kind === "csv" ? source.delimiter : undefined,
            )
          : columnHint(missing, available) + elsewhereHint(missing, source),
  });
}

/**
 * A customer column the source lacks may be in another file of the export (Olist's
 * customer_unique_id, in customers.csv, beside orders.csv's per-order customer_id): how to bring
 * it in. The guess alone sent the user to customer_id, whose log then failed as "nobody buys twice".
 */
function elsewhereHint(missing: Array<[keyof LogColumns, string]>, source: LogSource): string {
  const customer = missing.find(([role]) => role === "customerId")?.[1];
  // The default name missing is a log naming its customers otherwise: the guess is the advice.
  if (customer === undefined || customer === "customer_id") return "";
  if (source.kind === "query" || (source.kind === "postgres" && source.query !== undefined))
    return `; select ${customer} in the query, joining the table that holds it`;
  if (source.kind === "postgres") return `; if ${customer} is in another table, --query joining it`;
  return `; if ${customer} is in another file of the export, join the files: --data FOLDER --query 'SELECT … FROM orders JOIN customers USING (customer_id)' reads each file of the folder as a table`;
}

const DELIMITER_NAMES: Record<string, [written: string, option: string]> = {
  ";": ["';'", "';'"],
  "\t": ["tabs", "tab"],
  "|": ["'|'", "'|'"],
  ",": ["','", "','"],
};

/**
 * A header read as one column: the delimiter that splits it into the columns asked for, when one
 * does (a `;` export read with --delimiter ',' was told "the delimiter was not recognised: pass
 * --delimiter (e.g. …)", though it was given and the header shows which it is).
 */
function oneColumnHint(header: string, wanted: string[], given: string | undefined): string {
  const given1 = given === "tab" ? "\t" : given;
  const splits = (d: string) => {
    const names = header.split(d).map((n) => n.trim().replace(/^"(.*)"$/, "$1"));
    return names.length > 1 && wanted.every((w) => names.includes(w));
  };
  const found = Object.keys(DELIMITER_NAMES).find((d) => d !== given1 && splits(d));
  if (found === undefined) {
    return "the delimiter was not recognised: pass --delimiter (e.g. --delimiter ';' or --delimiter tab)";
  }
  const [written, option] = DELIMITER_NAMES[found] as [string, string];
  const not = given1 === undefined ? "" : `, not ${DELIMITER_NAMES[given1]?.[0] ?? `'${given1}'`}`;
  return `the header's names are separated by ${written}${not}: pass --delimiter ${option}`;
}

/**
 * read_csv options for the sniffer that pins the dialect of every later read: every column text
 * (no value lost to a wrong guessed type, and a stray "85123A" in a column we do not use rejects
 * nothing).
 */
function csvOptions(
  source: Extract<LogSource, { kind: "csv" }>,
  dialect: { header: boolean; skip: number },
): string[] {
  const { skip } = dialect;
  const parts = ["auto_type_candidates = ['VARCHAR']", "ignore_errors = true"];
  parts.push(...dialectOptions(source));
  // DuckDB's sniffer finds lines above the header only when it may guess types, which these
  // reads do not let it; the skip comes from sniff_csv (csvDialect) instead.
  if (skip > 0) parts.push(`skip = ${skip}`);
  // The sniffer's verdict, taken with types guessed: read with every column as text, DuckDB
  // would take a headerless file's first line (1000,2020-01-10,1.5) for its header.
  parts.push(`header = ${source.header ?? dialect.header}`);
  return parts;
}

/** A CSV's columns and the read_csv options that read it without sniffing it again. */
interface PinnedCsv {
  types: Map<string, string>;
  options: string[];
}

/** What sniff_csv shows for "none" in a one-character option (quote, escape, comment). */
const shownEmpty = (v: string) => (v === "(empty)" ? "" : v);

/**
 * The dialect read_csv would sniff with `options`, pinned (auto_detect off): each read of the
 * file (the samplers' peeks and the scan) then skips DuckDB's sniffer, about 25 ms a read.
 */
async function pinCsv(
  connection: DuckDBConnection,
  path: string,
  options: string[],
): Promise<PinnedCsv> {
  const reader = await connection.runAndReadAll(
    `SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns FROM sniff_csv(${[sqlString(path), ...options].join(", ")})`,
  );
  const row = reader.getRowObjectsJS()[0] as {
    Delimiter: string;
    Quote: string;
    Escape: string;
    NewLineDelimiter: string;
    Comment: string;
    SkipRows: number | bigint;
    HasHeader: boolean;
    Columns: Array<{ name: string; type: string }>;
  };
  const encoding = options.filter((o) => o.startsWith("encoding ="));
  return {
    types: new Map(row.Columns.map((c) => [c.name, c.type])),
    options: [
      "auto_detect = false",
      `delim = ${sqlString(row.Delimiter)}`,
      `quote = ${sqlString(shownEmpty(row.Quote))}`,
      `escape = ${sqlString(shownEmpty(row.Escape))}`,
      `new_line = ${sqlString(row.NewLineDelimiter)}`,
      `comment = ${sqlString(shownEmpty(row.Comment))}`,
      `skip = ${Number(row.SkipRows)}`,
      `header = ${row.HasHeader}`,
      ...encoding,
    ],
  };
}

/**
 * A header name as a `columns` key, which must be a plain literal: a NUL is written as U+FFFD (no
 * role can name such a column anyway: sqlIdentifier refuses it, naming the column).
 */
const structKey = (name: string) => name.replaceAll("\u0000", "\uFFFD");

/**
 * A pinned read: every column text except the numeric roles, parsed by the reader itself (fast;
 * a value that is not a number becomes a reject with its line and column). Malformed records are
 * stored as rejects, skipped, or (`strict`, a --query's table) DuckDB's error naming the line.
 */
function pinnedRead(
  path: string,
  pinned: PinnedCsv,
  records: "reject" | "skip" | "strict",
  numeric: string[] = [],
) {
  const columns = [...pinned.types.keys()].map(
    (c) => `${sqlString(structKey(c))}: '${numeric.includes(c) ? "DOUBLE" : "VARCHAR"}'`,
  );
  const parts = [
    sqlString(path),
    ...pinned.options,
    ...(records === "reject" ? ["store_rejects = true"] : []),
    ...(records === "skip" ? ["ignore_errors = true"] : []),
    `columns = {${columns.join(", ")}}`,
  ];
  return `read_csv(${parts.join(", ")})`;
}

/** The options both read_csv and sniff_csv take: delimiter and encoding. */
function dialectOptions(source: Extract<LogSource, { kind: "csv" }>): string[] {
  const parts: string[] = [];
  if (source.delimiter) {
    const delimiter = source.delimiter === "tab" ? "\t" : source.delimiter;
    parts.push(`delim = ${sqlString(delimiter)}`);
  }
  if (source.encoding && source.encoding !== "utf-8") {
    parts.push(`encoding = ${sqlString(source.encoding)}`);
  }
  return parts;
}

/** Header and lines above it, as DuckDB's sniffer (free to guess types) sees the file. */
async function csvDialect(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "csv" }>,
): Promise<{ header: boolean; skip: number }> {
  const options = dialectOptions(source);
  if (source.skipLines !== undefined) options.push(`skip = ${source.skipLines}`);
  let row: { HasHeader: boolean; SkipRows: number | bigint } | undefined;
  try {
    const reader = await connection.runAndReadAll(
      `SELECT HasHeader, SkipRows FROM sniff_csv(${[sqlString(source.path), ...options].join(", ")})`,
    );
    row = reader.getRowObjectsJS()[0] as typeof row;
  } catch (error) {
    // Bytes the encoding cannot decode are the file's problem; anything else is the sniffer
    // giving up on a small or ragged file, where a header on the first line is the best guess
    // (the read that follows, and the header search, say whether it was right).
    if (isNotUtf8Error(error)) throw error;
  }
  return {
    header: source.header ?? row?.HasHeader !== false,
    skip: source.skipLines ?? Number(row?.SkipRows ?? 0),
  };
}

async function describe(connection: DuckDBConnection, from: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
  const rows = reader.getRowObjectsJS() as { column_name: string; column_type: string }[];
  return new Map(rows.map((r) => [r.column_name, r.column_type]));
}

async function csvRejects(connection: DuckDBConnection): Promise<RejectedRecord[]> {
  const reader = await connection.runAndReadAll(
    // A line with a field too many also fails the cast of the column its fields shifted into:
    // its shape is the problem to name ("unreadable amount" sent users to the amount column).
    `SELECT line, column_name, error_type, error_message FROM reject_errors
     ORDER BY line, error_type IN ('TOO MANY COLUMNS', 'MISSING COLUMNS') DESC`,
  );
  const rejected: RejectedRecord[] = [];
  for (const r of reader.getRowObjectsJS() as Record<string, unknown>[]) {
    const line = Number(r.line);
    if (rejected.at(-1)?.line === line) continue; // one row, several problems: count it once
    rejected.push({
      line,
      column: (r.column_name as string | null) ?? null,
      kind: String(r.error_type),
      message: String(r.error_message),
    });
  }
  return rejected;
}

/** DuckDB's complaint (from the sniffer, a read or our own rewording) that a CSV is not UTF-8. */
export function isNotUtf8Error(error: unknown): boolean {
  return /not utf-8 encoded/i.test((error as Error | undefined)?.message ?? "");
}

const CANNOT_READ_HINT =
  "pass a CSV/TSV file (optionally .gz), a .parquet, .json or .xlsx file, or a postgres:// URL";

/** What to pass when DuckDB cannot read a file: the encoding when that is what it says. */
function cannotRead(path: string, error: unknown, csv = false): InputError {
  const message = (error as Error).message;
  let hint = CANNOT_READ_HINT;
  let problem = message.split("\n")[0];
  if (isNotUtf8Error(error)) {
    problem = "the file is not utf-8 encoded";
    hint = "pass --encoding windows-1252 (or utf-16), or leave --encoding out to have it found";
  } else if (csv) {
    hint = `check --delimiter, --skip-lines and --encoding against the file, or leave them out to have them found; or ${CANNOT_READ_HINT}`;
  }
  return new InputError(undefined, `${path}: cannot be read: ${problem}`, { hint });
}

/**
 * `work`'s value, or what DuckDB said as an InputError naming the file (cannotRead); a UTF-16
 * file it refuses is named by the line holding half a character, when one does.
 */
async function orCannotRead<T>(work: Promise<T>, path: string, csv = false): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const at = /not utf-16 encoded/i.test((error as Error).message)
      ? await loneSurrogateLine(path).catch(() => null)
      : null;
    if (at !== null) {
      throw new InputError(
        undefined,
        `${path}: cannot be read: line ${at.line} holds half a UTF-16 character (an unpaired surrogate, shown as \ufffd) (${at.text})`,
        {
          hint: "correct that line in the file (a character such as an emoji cut in two), or convert the file to UTF-8 without it: iconv -c -f UTF-16 -t UTF-8",
        },
      );
    }
    throw cannotRead(path, error, csv);
  }
}

/**
 * read_json's date and timestamp formats: a layout no export writes its values in. By its own
 * formats it typed "2021-01-01T08:18:09-05:00" as a naive TIMESTAMP converted to UTC, so the day
 * was the UTC day and --timezone could not act on it; as text, dates are read as a CSV's are.
 */
const JSON_DATES_AS_TEXT = sqlString("(never a date) %Y");

/**
 * The table function that reads a Parquet or JSON file, or parts as one table (their columns
 * matched by name): the read's scan, and each part's row count for naming rows in their part.
 */
export function fileScanSql(kind: "parquet" | "json", files: string | string[]): string {
  const list =
    typeof files === "string" ? sqlString(files) : `[${files.map(sqlString).join(", ")}]`;
  const union = typeof files === "string" ? "" : ", union_by_name = true";
  const dates = `dateformat = ${JSON_DATES_AS_TEXT}, timestampformat = ${JSON_DATES_AS_TEXT}`;
  return kind === "json"
    ? `read_json(${list}, format = 'auto', ${dates}${union})`
    : `read_parquet(${list}${union})`;
}

async function openFile(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "parquet" | "json" }>,
  columns: LogColumns,
): Promise<LoadedSource> {
  const file = fileScanSql(source.kind, source.files ?? source.path);
  // A Money object's currency is read beside its amount (minor-units.ts), when the file has it.
  const currency = moneyCurrency(columns.amount);
  const { scan, types, available } = await flattenRecords(
    connection,
    { scan: file, types: await orCannotRead(describe(connection, file), source.path) },
    [...neededColumns(columns), ...(currency ? [currency] : [])],
    (from) => describe(connection, from),
  );
  checkColumns(columns, available, source);
  return { scan: () => scan, peek: scan, types, header: false, rejected: async () => [] };
}

type CsvSource = Extract<LogSource, { kind: "csv" }>;

/** What a CSV's head showed: its bytes, encoding, and whether its line ends are CRLF and LF. */
interface CsvLook {
  head: Uint8Array;
  encoding: CsvEncoding;
  mixed: boolean;
  /** Each line decoded by itself (LogSource lineByLine). */
  byLine?: boolean;
}

/**
 * The copy a CSV is read from, if any: LF line ends when mixed, UTF-8 for Windows-1252, UTF-16BE
 * or another encoding DuckDB does not decode (Big5, Shift_JIS, …).
 */
function readableCopy(path: string, look: CsvLook) {
  // DuckDB decodes little-endian UTF-16 only (big-endian failed in its sniffer, or read garbage).
  if (look.encoding === "utf-16" && isBigEndianUtf16(look.head)) {
    return utf8Copy(path, false, "utf-16be");
  }
  if (isOtherEncoding(look.encoding)) {
    return look.mixed ? lfCopy(path, look.encoding) : utf8Copy(path, false, look.encoding);
  }
  const windows1252 = look.encoding === "latin-1" || look.encoding === "windows-1252";
  const byLine = windows1252 && look.byLine === true;
  if (look.mixed) return lfCopy(path, windows1252, byLine);
  // DuckDB decodes UTF-8 and UTF-16; a Windows-1252 file is read from a UTF-8 copy.
  return windows1252 ? utf8Copy(path, byLine) : null;
}

/**
 * Whether a line's fields are the header a CSV is read under: the columns the options name, or
 * (a --query's table, whose columns are the query's to name) file-query.ts queryHeader.
 */
type HeaderTest = (fields: string[]) => boolean;

/** DuckDB's sniffer giving up, or a pinned read meeting the other line end. */
export const isSniffFailure = (error: unknown) =>
  /Error when sniffing file|state machine reached an invalid state/i.test(
    (error as Error | undefined)?.message ?? "",
  );

/**
 * A CSV/TSV: encoding by byte-order mark, dialect by DuckDB's sniffer, and when the columns asked
 * for are not in the header it found, the header line searched for by their names (a report
 * title above it, or a file too small for the sniffer to be sure of its delimiter). Mixed line
 * ends are read from a copy with LF only: seen in the head or tail, or looked for in the whole
 * file only once the sniffer gives up.
 */
async function openCsv(
  connection: DuckDBConnection,
  given: CsvSource,
  columns: LogColumns | HeaderTest,
  second?: DuckDBConnection,
): Promise<LoadedSource> {
  const head = await csvHead(given.path);
  // Else DuckDB reads one unnamed column and the message blames the delimiter.
  if (head.length === 0) throw emptyLogError(given.path, "the file is empty (0 bytes)");
  if (onlyBlankLines(head)) throw emptyLogError(given.path, "the file holds only blank lines");
  const encoding = given.encoding ?? bomEncoding(head) ?? "utf-8";
  // UTF-16 line ends are two bytes each, which the byte checks do not read.
  const bytewise = encoding !== "utf-16";
  const mixed =
    given.lineEnds === "mixed" || (bytewise && (await headOrTailMixLineEnds(given.path, head)));
  try {
    const byLine = given.lineByLine === true;
    return await openCsvAs(connection, given, columns, { head, encoding, mixed, byLine }, second);
  } catch (error) {
    const retry = !mixed && bytewise && isSniffFailure(error);
    // A damaged .gz fails this pass too: DuckDB's error is the one to show.
    if (!retry || !(await fileHasMixedLineEnds(given.path).catch(() => false))) throw error;
    const look = { head, encoding, mixed: true, byLine: given.lineByLine === true };
    return openCsvAs(connection, given, columns, look, second);
  }
}

/**
 * How the file was decoded, for the account: its encoding when not UTF-8; read line by line, the
 * Windows-1252 lines when others are UTF-8 (else the file is simply Windows-1252).
 */
function encodingNotes(
  encoding: CsvEncoding,
  lines: LineEncodings | undefined,
): Pick<LoadedSource, "encoding" | "windows1252Lines"> {
  if (lines && lines.utf8 > 0 && lines.windows1252 > 0) return { windows1252Lines: lines };
  // Read line by line (every CSV of a --query is) with no line that is not UTF-8: UTF-8.
  if (lines && lines.windows1252 === 0) return {};
  return encoding !== "utf-8" ? { encoding } : {};
}

/** openCsv once the head is looked at. */
async function openCsvAs(
  connection: DuckDBConnection,
  given: CsvSource,
  columns: LogColumns | HeaderTest,
  look: CsvLook,
  second?: DuckDBConnection,
): Promise<LoadedSource> {
  const { head, encoding } = look;
  const copy = await readableCopy(given.path, look);
  let readable: CsvSource = copy
    ? { ...given, path: copy.path, encoding: "utf-8" }
    : { ...given, encoding };
  // The pinning sniff for the usual dialect (the header on line 1) runs beside the dialect's own
  // sniff, on the second connection: each costs about 25 ms, and the read then waits for one.
  const usual = csvOptions(readable, { header: true, skip: 0 });
  const early = second ? pinCsv(second, readable.path, usual).catch(() => null) : null;
  try {
    let dialect = await orCannotRead(csvDialect(connection, readable), given.path, true);
    const pin = () =>
      orCannotRead(
        pinCsv(connection, readable.path, csvOptions(readable, dialect)),
        given.path,
        true,
      );
    // Not taken, it is still awaited: it must end before its connection closes.
    const same = csvOptions(readable, dialect).join() === usual.join();
    let pinned = same ? ((await early) ?? (await pin())) : (await Promise.all([pin(), early]))[0];
    const isHeader = typeof columns === "function" ? columns : holdsAll(neededColumns(columns));
    if (given.skipLines === undefined && !isHeader([...pinned.types.keys()])) {
      const found = headerLineWhere(head, encoding, isHeader);
      if (found) {
        readable = { ...readable, delimiter: readable.delimiter ?? found.delimiter };
        dialect = { header: true, skip: found.skip };
        pinned = await pin();
      }
    }
    if (typeof columns !== "function") {
      checkColumns(columns, [...pinned.types.keys()], given, { head, encoding });
    }
    const path = readable.path;
    return {
      scan: (numeric) => pinnedRead(path, pinned, "reject", numeric),
      peek: pinnedRead(path, pinned, "skip"),
      table: pinnedRead(path, pinned, "strict"),
      readPath: path,
      types: pinned.types,
      header: dialect.header,
      skipLines: dialect.skip,
      ...encodingNotes(encoding, copy?.lines),
      ...(look.mixed ? { mixedLineEnds: true } : {}),
      rejected: () => csvRejects(connection),
      ...(copy ? { close: copy.remove } : {}),
    };
  } catch (error) {
    await early; // it reads the copy
    await copy?.remove();
    throw error;
  }
}

/** Streams a PostgreSQL table or query (every needed column and side column as text) into table raw. */
async function loadPostgres(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "postgres" }>,
  columns: LogColumns,
  timezone: string,
): Promise<LoadedSource> {
  // Timestamps with a zone come back as text in the shop's zone: its calendar day, as written.
  const sql = postgres(source.url, {
    max: 1,
    onnotice: () => {},
    connection: { TimeZone: timezone, application_name: "purchase-prediction ml train" },
  });
  try {
    const inner = source.table ? tableOf(source.table) : subquerySql(source.query as string);
    const probe = await sql.unsafe(`SELECT * FROM ${inner} AS q LIMIT 0`).describe();
    const available = probe.columns.map((c) => c.name);
    checkColumns(columns, available, source);
    const needed = [...neededColumns(columns), ...sideColumns(available, columns)];
    await connection.run(
      `CREATE OR REPLACE TABLE raw (${needed.map((c) => `${sqlIdentifier(c)} VARCHAR`).join(", ")})`,
    );
    const appender = await connection.createAppender("raw");
    const select = needed.map((c, i) => `CAST(${sqlIdentifier(c)} AS TEXT) AS c${i}`).join(", ");
    const cursor = sql.unsafe(`SELECT ${select} FROM ${inner} AS q`).cursor(10_000);
    for await (const rows of cursor) {
      for (const row of rows as Record<string, string | null>[]) {
        for (let i = 0; i < needed.length; i++) {
          const v = row[`c${i}`];
          if (v === null || v === undefined) appender.appendNull();
          else appender.appendVarchar(v);
        }
        appender.endRow();
      }
    }
    appender.closeSync();
    const types = await describe(connection, "raw");
    return { scan: () => "raw", peek: "raw", types, header: false, rejected: async () => [] };
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(undefined, `${sourceName(source)}: ${(error as Error).message}`, {
      hint: "check the URL, and pass --table NAME or --query 'SELECT …' that PostgreSQL accepts",
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const BAD_LINE_HINT =
  "with --query a malformed line stops the read: correct or remove it in the file (a file read alone, without --query, skips such lines and counts them)";

/**
 * A value the query's CAST cannot convert stops DuckDB's whole read: TRY_CAST gives NULL for it,
 * so the row is skipped and counted (as missing: a single file's is unreadable). Null for another error.
 */
function castHint(message: string): string | null {
  if (!message.startsWith("Conversion Error")) return null;
  const type = /\bto ([A-Z][A-Z0-9_() ,]*?)(?: when|$)/m.exec(message)?.[1] ?? "DOUBLE";
  const column = /source column (\S+)/.exec(message)?.[1] ?? "column";
  return `write TRY_CAST(${column} AS ${type}) in the query: it gives NULL for a value that does not convert (a row with such a value is then skipped and counted as missing, where a file read alone says unreadable; in a WHERE, the row is left out); or select the column as written (every CSV column is text) and let the reader read it`;
}

/** Runs a --query over a folder's files (file-query.ts) into table raw, every column as text. */
function loadFileQuery(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "query" }>,
  columns: LogColumns,
): Promise<LoadedSource> {
  const inner = subquerySql(source.query);
  const open = (csv: CsvSource) => openCsv(connection, csv, queryHeader(source.query));
  return withFileViews(connection, source, open, async (views) => {
    const { tables, read, fileLine, oneColumn, decoded, aboveHeader } = views;
    const described = await describe(connection, inner).catch((error: Error) => {
      // DuckDB's message runs over lines (a caret under the query): its first says what is wrong.
      throw new InputError(undefined, `${sourceName(source)}: ${error.message.split("\n")[0]}`, {
        hint:
          oneColumn.length > 0
            ? `${oneColumn.join(" and ")} read as one column: the delimiter was not recognised; pass --delimiter (e.g. --delimiter ';' or --delimiter tab) and, with lines above the header, --skip-lines N (both apply to every CSV the query reads)`
            : `the query reads the files as tables ${tables.join(", ")}, every CSV column as text (to compute, TRY_CAST(price AS DOUBLE): NULL for a value that does not convert)`,
      });
    });
    const available = [...described.keys()];
    checkColumns(columns, available, source);
    const needed = [...neededColumns(columns), ...sideColumns(available, columns)];
    const select = needed
      .map((c) => `CAST(${sqlIdentifier(c)} AS VARCHAR) AS ${sqlIdentifier(c)}`)
      .join(", ");
    await connection
      .run(`CREATE OR REPLACE TABLE main.raw AS SELECT ${select} FROM ${inner} AS q`)
      .catch((error: Error) => {
        // A file's own line (a malformed record) is named by its file; anything else by the query.
        const line = fileLine(error.message);
        if (line !== null) throw new InputError(undefined, line, { hint: BAD_LINE_HINT });
        throw new InputError(undefined, `${sourceName(source)}: ${error.message.split("\n")[0]}`, {
          hint: castHint(error.message) ?? NOT_READ_HINT,
        });
      });
    return {
      scan: () => "raw",
      peek: "raw",
      types: await describe(connection, "main.raw"),
      header: false,
      rejected: async () => [],
      query: { text: source.query, files: read, decoded, aboveHeader },
    };
  });
}

/** --table as SQL, or an InputError saying how to write it. */
function tableOf(table: string): string {
  const sql = tableNameSql(table);
  if (sql !== null) return sql;
  throw new InputError(undefined, `--table ${JSON.stringify(table)}: not a table name`, {
    hint: `pass a name such as orders, shop.orders or 'shop."Orders 2024"' (double quotes keep case)`,
  });
}

/** Reads a workbook's sheets into table raw (every needed column as text). */
async function loadXlsx(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "xlsx" }>,
  columns: LogColumns,
): Promise<LoadedSource> {
  const needed = neededColumns(columns);
  const side = (header: string[]) => sideColumns(header, columns);
  const loaded = await loadXlsxRows(connection, source, needed, side, (available) =>
    checkColumns(columns, available, source),
  );
  const { removed, repeats } = await dropSheetRepeats(
    connection,
    needed,
    loaded.sheets,
    loaded.sheetStarts,
  );
  const rowNumbers = withoutRows(loaded.rowNumbers, removed);
  const sheetOfRow = withoutRows(
    sheetIndexes(loaded.sheetStarts, loaded.rowNumbers.length),
    removed,
  );
  const types = await describe(connection, "raw");
  return {
    scan: () => "raw",
    peek: "raw",
    types,
    header: true,
    rejected: async () => [],
    rowNumber: (rowid) => rowNumbers[rowid] ?? rowid + 1,
    ...(loaded.sheets.length > 1
      ? { rowSheet: (rowid: number) => loaded.sheets[sheetOfRow[rowid] ?? 0] as string }
      : {}),
    sheets: {
      read: loaded.sheets,
      skipped: loaded.skippedSheets,
      ...(repeats.length > 0 ? { repeated: repeats } : {}),
    },
  };
}

/**
 * Opens a log's source for reading. `second`, a spare connection to the same database, lets a
 * CSV's two sniffs run side by side.
 */
export async function loadSource(
  connection: DuckDBConnection,
  source: LogSource,
  columns: LogColumns,
  timezone: string,
  second?: DuckDBConnection,
): Promise<LoadedSource> {
  if (source.kind === "postgres") return loadPostgres(connection, source, columns, timezone);
  if (source.kind === "query") return loadFileQuery(connection, source, columns);
  if (source.kind === "xlsx") return loadXlsx(connection, source, columns);
  if (source.kind === "csv") return openCsv(connection, source, columns, second);
  return openFile(connection, source, columns);
}
