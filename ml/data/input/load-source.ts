// Opens a log as a DuckDB scan with its column names checked: CSV/TSV through read_csv (delimiter
// and header sniffed, gzip by extension, every column as text so no value is lost to a wrong
// guessed type; malformed records go to reject_errors with their position), Parquet through
// read_parquet, and PostgreSQL through a postgres.js cursor into table `raw` by an appender
// (DuckDB's postgres extension would be downloaded at run time, impossible offline).

import type { DuckDBConnection } from "@duckdb/node-api";
import postgres from "postgres";
import { InputError } from "./input-error.ts";
import { type LogColumns, type LogSource, sourceName } from "./log-input.ts";
import { sqlIdentifier, sqlString } from "./sql-text.ts";
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
  /** Column name → DuckDB type. */
  types: Map<string, string>;
  header: boolean;
  /** CSV only, after the scan ran: malformed records DuckDB did not load. */
  rejected(): Promise<RejectedRecord[]>;
  /** A row's number for messages when it is not rowid + 1 (a workbook's sheet row). */
  rowNumber?(rowid: number): number;
  /** Workbooks: the sheets read and those left out (no header with the needed columns). */
  sheets?: { read: string[]; skipped: string[] };
}

const ROLE_OPTION: Record<keyof LogColumns, string> = {
  customerId: "--customer-col",
  date: "--date-col",
  amount: "--amount-col",
  quantity: "--quantity-col",
  price: "--price-col",
  order: "--order-col",
};

/** The distinct source columns the roles name. */
function neededColumns(columns: LogColumns): string[] {
  return [...new Set(Object.values(columns).filter((c): c is string => typeof c === "string"))];
}

/** Throws naming the first role whose column the source does not have. */
function checkColumns(columns: LogColumns, available: string[], source: LogSource): void {
  for (const [role, name] of Object.entries(columns) as [keyof LogColumns, string | undefined][]) {
    if (name === undefined || available.includes(name)) continue;
    const oneColumn = available.length === 1 && source.kind === "csv";
    throw new InputError(
      name,
      `${sourceName(source)}: line 1: there is no column "${name}" (columns: ${available.join(", ")})`,
      {
        hint: oneColumn
          ? "the delimiter was not recognised: pass --delimiter (e.g. --delimiter ';' or --delimiter tab)"
          : `pass ${ROLE_OPTION[role]} with one of those names`,
      },
    );
  }
}

/**
 * read_csv options: every column text (no value lost to a wrong guessed type, and a stray "85123A"
 * in a column we do not use rejects nothing) except the numeric roles, parsed by the reader itself
 * (fast; a value that is not a number becomes a reject with its line and column).
 */
function csvOptions(
  source: Extract<LogSource, { kind: "csv" }>,
  rejects: boolean,
  numeric: string[] = [],
): string {
  const parts = [
    "auto_type_candidates = ['VARCHAR']",
    rejects ? "store_rejects = true" : "ignore_errors = true",
  ];
  if (numeric.length > 0) {
    parts.push(`types = {${numeric.map((c) => `${sqlString(c)}: 'DOUBLE'`).join(", ")}}`);
  }
  if (source.delimiter) {
    const delimiter = source.delimiter === "tab" ? "\t" : source.delimiter;
    parts.push(`delim = ${sqlString(delimiter)}`);
  }
  if (source.header !== undefined) parts.push(`header = ${source.header}`);
  return parts.join(", ");
}

async function describe(connection: DuckDBConnection, from: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
  const rows = reader.getRowObjectsJS() as { column_name: string; column_type: string }[];
  return new Map(rows.map((r) => [r.column_name, r.column_type]));
}

async function csvRejects(connection: DuckDBConnection): Promise<RejectedRecord[]> {
  const reader = await connection.runAndReadAll(
    `SELECT line, column_name, error_type, error_message FROM reject_errors ORDER BY line`,
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

async function openFile(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "csv" | "parquet" | "json" }>,
  columns: LogColumns,
): Promise<LoadedSource> {
  const path = sqlString(source.path);
  const other =
    source.kind === "json" ? `read_json(${path}, format = 'auto')` : `read_parquet(${path})`;
  const scan = (numeric: string[]) =>
    source.kind === "csv" ? `read_csv(${path}, ${csvOptions(source, true, numeric)})` : other;
  const peek = source.kind === "csv" ? `read_csv(${path}, ${csvOptions(source, false)})` : other;
  let types: Map<string, string>;
  try {
    types = await describe(connection, peek);
  } catch (error) {
    throw new InputError(undefined, `${source.path}: cannot be read: ${(error as Error).message}`, {
      hint: "pass a CSV/TSV file (optionally .gz), a .parquet or .json file, or a postgres:// URL",
    });
  }
  checkColumns(columns, [...types.keys()], source);
  if (source.kind !== "csv") {
    return { scan, peek, types, header: false, rejected: async () => [] };
  }
  return {
    scan,
    peek,
    types,
    header: await sniffedHeader(connection, source),
    rejected: () => csvRejects(connection),
  };
}

async function sniffedHeader(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "csv" }>,
): Promise<boolean> {
  if (source.header !== undefined) return source.header;
  const options = source.delimiter
    ? `, delim = ${sqlString(source.delimiter === "tab" ? "\t" : source.delimiter)}`
    : "";
  const reader = await connection.runAndReadAll(
    `SELECT HasHeader FROM sniff_csv(${sqlString(source.path)}${options})`,
  );
  return (reader.getRowObjectsJS()[0] as { HasHeader: boolean }).HasHeader === true;
}

/** Streams a PostgreSQL table or query (every needed column as text) into table raw. */
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
    const inner = source.table
      ? source.table.split(".").map(sqlIdentifier).join(".")
      : `(${source.query as string})`;
    const probe = await sql.unsafe(`SELECT * FROM ${inner} AS q LIMIT 0`).describe();
    const available = probe.columns.map((c) => c.name);
    checkColumns(columns, available, source);
    const needed = neededColumns(columns);
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

/** Reads a workbook's sheets into table raw (every needed column as text). */
async function loadXlsx(
  connection: DuckDBConnection,
  source: Extract<LogSource, { kind: "xlsx" }>,
  columns: LogColumns,
): Promise<LoadedSource> {
  const loaded = await loadXlsxRows(connection, source, neededColumns(columns), (available) =>
    checkColumns(columns, available, source),
  );
  const types = await describe(connection, "raw");
  return {
    scan: () => "raw",
    peek: "raw",
    types,
    header: true,
    rejected: async () => [],
    rowNumber: (rowid) => loaded.rowNumbers[rowid] ?? rowid + 1,
    sheets: { read: loaded.sheets, skipped: loaded.skippedSheets },
  };
}

export async function loadSource(
  connection: DuckDBConnection,
  source: LogSource,
  columns: LogColumns,
  timezone: string,
): Promise<LoadedSource> {
  if (source.kind === "postgres") return loadPostgres(connection, source, columns, timezone);
  if (source.kind === "xlsx") return loadXlsx(connection, source, columns);
  return openFile(connection, source, columns);
}
