// A --query over files (`--data folder/ --query 'SELECT … JOIN …'`): each file is a table named
// by its file name, so exports kept apart (Olist's orders, order items and customers) join in
// DuckDB, as a PostgreSQL --query joins tables.

import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { bomEncoding, csvHead } from "./csv-head.ts";
import { InputError } from "./input-error.ts";
import type { LineEncodings } from "./line-encodings.ts";
import type { CsvEncoding, LogSource } from "./log-input.ts";
import { sqlIdentifier, sqlString } from "./sql-text.ts";

type CsvSource = Extract<LogSource, { kind: "csv" }>;

/** Files a query reads as tables: CSV/TSV (gzipped or not), Parquet and JSON. */
const TABLE_FILE = /\.(csv|tsv|txt|parquet|json|jsonl|ndjson)(\.gz)?$/i;

export interface FileTable {
  name: string;
  path: string;
}

/** Characters a table name keeps: letters and digits of any script (DuckDB takes them unquoted). */
const NAME_CHARACTER = "\\p{L}\\p{M}\\p{N}_";

/**
 * A file's table name: its name without extensions, lower case, in NFC (macOS writes names
 * decomposed), other characters as `_`, and `t_` before a leading digit (SQL's names start with
 * a letter).
 */
export function tableNameOf(file: string): string {
  const stem = basename(file)
    .replace(/(\.gz)$/i, "")
    .replace(/\.[^.]*$/, "");
  const other = new RegExp(`[^${NAME_CHARACTER}]+`, "gu");
  const name = stem.normalize("NFC").toLowerCase().replace(other, "_");
  return /^\p{N}/u.test(name) ? `t_${name}` : name;
}

/** Whether the query names the table (a whole word, in any script). */
function namesTable(query: string, table: string): boolean {
  const edge = `[${NAME_CHARACTER}]`;
  return new RegExp(`(?<!${edge})${table}(?!${edge})`, "iu").test(query.normalize("NFC"));
}

/** The folder's table files in name order, or the one file `path` names. */
export function fileTables(path: string): FileTable[] {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    throw new InputError(undefined, `${path}: no such file or folder`, {
      hint: "with --query, pass --data naming a folder of exports (or one file) to read as tables",
    });
  }
  const files = folder
    ? readdirSync(path)
        .filter((f) => TABLE_FILE.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) {
    throw new InputError(undefined, `${path}: the folder holds no CSV, Parquet or JSON file`, {
      hint: "pass --data naming the folder that holds the exports the query joins",
    });
  }
  const tables = files.map((f) => ({ name: tableNameOf(f), path: f }));
  const seen = new Map<string, string>();
  for (const t of tables) {
    const other = seen.get(t.name);
    if (other !== undefined) {
      throw new InputError(undefined, `${other} and ${t.path} are both table ${t.name}`, {
        hint: "rename one of the files, or move it out of the folder",
      });
    }
    seen.set(t.name, t.path);
  }
  return tables;
}

/** How a query's CSV is opened: as a single file is (load-source.ts openCsv), no column asked. */
export type OpenCsvTable = (source: CsvSource) => Promise<{
  table?: string;
  peek: string;
  readPath?: string;
  close?(): Promise<void>;
  /** How it was decoded, when not simply UTF-8 (load-source.ts encodingNotes). */
  encoding?: CsvEncoding;
  windows1252Lines?: LineEncodings;
  /** Lines above the header skipped (--skip-lines, or as the sniffer found them). */
  skipLines?: number;
}>;

/** How a file was decoded, in words; undefined for plain UTF-8. */
function decodedAs(opened: Awaited<ReturnType<OpenCsvTable>>): string | undefined {
  const lines = opened.windows1252Lines;
  if (lines) {
    const at = `line${lines.examples.length > 1 ? "s" : ""} ${lines.examples.join(", ")}`;
    const more = lines.windows1252 > lines.examples.length ? ", …" : "";
    const count = `${lines.windows1252} line${lines.windows1252 > 1 ? "s" : ""}`;
    return `UTF-8, except ${count} read as windows-1252 (${at}${more})`;
  }
  return opened.encoding;
}

/**
 * Whether a line's fields are a header the query reads: two of them names in the query, a word
 * or a "quoted name", case folded as DuckDB matches names ('literals' left out: a row's values
 * are not names). The sniffer's header is kept when it is one; else the first such line of the
 * file's first 50 is (a title row Excel padded with commas above it).
 */
export function queryHeader(query: string): (fields: string[]) => boolean {
  const text = query.toLowerCase().replace(/'(?:[^']|'')*'/g, " ");
  const quoted = [...text.matchAll(/"((?:[^"]|"")+)"/g)].map((m) =>
    (m[1] ?? "").replaceAll('""', '"'),
  );
  const words = new Set([...(text.match(/[\p{L}\p{N}_]+/gu) ?? []), ...quoted]);
  return (fields) => fields.filter((f) => words.has(f.toLowerCase())).length >= 2;
}

/**
 * Whether the head is UTF-8 text (a character cut at its end is not held against it): no NUL
 * byte either, as UTF-16 without its byte-order mark has after each ASCII letter.
 */
function isUtf8(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The single-file reading options a query applies to each CSV it reads. */
export interface CsvLayout {
  encoding?: CsvEncoding;
  delimiter?: string;
  skipLines?: number;
}

/**
 * A CSV as the single-file reader takes it, every column as text under its header: UTF-16 by its
 * byte-order mark; `--encoding` for a file that is not UTF-8 (one flag for many files: a UTF-8
 * file beside a Big5 one stays UTF-8); else each line that is not UTF-8 read as Windows-1252.
 * `--delimiter` and `--skip-lines` apply to every file (one export system, one layout).
 */
export function csvSourceOf(path: string, head: Uint8Array, layout: CsvLayout = {}): CsvSource {
  const { encoding, delimiter, skipLines } = layout;
  const source: CsvSource = {
    kind: "csv",
    path,
    header: true,
    ...(delimiter ? { delimiter } : {}),
    ...(skipLines !== undefined ? { skipLines } : {}),
  };
  if (bomEncoding(head) !== undefined) return source;
  if (encoding !== undefined && !isUtf8(head)) return { ...source, encoding };
  return { ...source, encoding: "windows-1252", lineByLine: true };
}

/**
 * SQL reading one file, every CSV column as text (ids keep their zeros; cast to compute), and
 * what removes the copy it reads, if any. A CSV is opened by `open` as a single file is: its
 * encoding, mixed line ends, lines above the header and delimiter (csvSourceOf).
 */
async function scanOf(
  path: string,
  open: OpenCsvTable,
  layout: CsvLayout,
): Promise<{
  scan: string;
  read: string;
  decoded?: string;
  aboveHeader?: number;
  close?: () => Promise<void>;
}> {
  if (/\.parquet$/i.test(path)) return { scan: `read_parquet(${sqlString(path)})`, read: path };
  if (/\.(json|jsonl|ndjson)(\.gz)?$/i.test(path)) {
    return { scan: `read_json(${sqlString(path)}, format = 'auto')`, read: path };
  }
  const opened = await open(csvSourceOf(path, await csvHead(path), layout));
  const decoded = decodedAs(opened);
  return {
    scan: opened.table ?? opened.peek,
    read: opened.readPath ?? path,
    ...(decoded ? { decoded } : {}),
    ...(opened.skipLines ? { aboveHeader: opened.skipLines } : {}),
    ...(opened.close ? { close: opened.close } : {}),
  };
}

/**
 * DuckDB's error on a line of a file it read for the query (`file = …` in its message) as
 * "file: line N: what (the line)", the file the one the user named, not the temp copy read (its
 * lines keep their numbers); null for an error that names no file read.
 */
export function fileLineMessage(message: string, files: Map<string, string>): string | null {
  const file = files.get(/^\s*file = (.*)$/m.exec(message)?.[1]?.trim() ?? "");
  const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
  if (file === undefined || line === undefined) return null;
  const lines = message.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Original Line: "));
  const what = lines[at + 1];
  const why = at >= 0 && what && !what.startsWith("Possible fixes") ? what.trim() : lines[0];
  const original = at >= 0 ? ` (${lines[at]?.slice("Original Line: ".length)})` : "";
  return `${file}: line ${line}: ${why}${original}`;
}

/** Why a file may not read as a table, and what to do. */
export const NOT_READ_HINT =
  "with --query each file is read as a CSV with a header line (UTF-8, Windows-1252, UTF-16 with its byte-order mark, or the --encoding given), Parquet or JSON: pass --encoding for a file in another encoding, or read the file alone without --query";

/** The words DuckDB keeps for SQL (order, group, …): a table named so is written "order". */
async function reservedWords(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll(
    "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'",
  );
  return new Set(reader.getRowObjects().map((r) => String(r.keyword_name)));
}

/** What a query over the views is told of them. */
export interface FileViews {
  /** Every table of the folder, with its file ("orders (orders.csv)"), for messages. */
  tables: string[];
  /** The files the query names, opened as views. */
  read: string[];
  /** DuckDB's error on a line of a file, as that file's line (fileLineMessage); else null. */
  fileLine: (message: string) => string | null;
  /** The files read as one column (oneColumnFiles). */
  oneColumn: string[];
  /** How each file not simply UTF-8 was decoded: "windows-1252", "UTF-8, except 2 lines …". */
  decoded: Record<string, string>;
  /** Each CSV's lines above its header, skipped (none: not listed). */
  aboveHeader: Record<string, number>;
}

/**
 * The files whose view has one column: a delimiter not recognised (or a title line taken for the
 * header), so the query's error ("column does not exist") is about the file's layout.
 */
async function oneColumnFiles(connection: DuckDBConnection, named: FileTable[]): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_columns() WHERE schema_name = '${SCHEMA}' GROUP BY table_name HAVING count(*) = 1`,
  );
  const single = new Set(reader.getRowObjects().map((r) => String(r.table_name)));
  return named.filter((t) => single.has(t.name)).map((t) => t.path);
}

/** The schema of the files' views: apart from the reader's own tables (customers, lines, raw…). */
const SCHEMA = "log_files";

/**
 * Runs `use` with a view per table file the query names, in a schema searched first, so the query
 * names the files as they are called; the schema is dropped after (FileViews: what `use` is
 * told). `open`
 * opens a CSV (csvSourceOf) laid out as --encoding, --delimiter and --skip-lines say.
 */
export async function withFileViews<T>(
  connection: DuckDBConnection,
  given: { path: string; query: string } & CsvLayout,
  open: OpenCsvTable,
  use: (views: FileViews) => Promise<T>,
): Promise<T> {
  const { path, query } = given;
  const tables = fileTables(path);
  // Only the tables the query names are opened (each view sniffs its file): another export in
  // the folder, large or unreadable, costs nothing and stops nothing.
  const named = tables.filter((t) => namesTable(query, t.name));
  const closes: (() => Promise<void>)[] = [];
  const reads = new Map<string, string>();
  const decoded: Record<string, string> = {};
  const aboveHeader: Record<string, number> = {};
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  try {
    for (const t of named) {
      const {
        scan,
        read,
        close,
        decoded: how,
        aboveHeader: skipped,
      } = await scanOf(t.path, open, given);
      if (close) closes.push(close);
      if (how) decoded[t.path] = how;
      if (skipped) aboveHeader[t.path] = skipped;
      reads.set(read, t.path);
      await connection
        .run(`CREATE OR REPLACE VIEW ${SCHEMA}.${sqlIdentifier(t.name)} AS SELECT * FROM ${scan}`)
        .catch((error: Error) => {
          throw new InputError(undefined, `${t.path}: ${error.message.split("\n")[0]}`, {
            hint: NOT_READ_HINT,
          });
        });
    }
    await connection.run(`SET search_path = '${SCHEMA},main'`);
    const reserved = await reservedWords(connection);
    return await use({
      tables: tables.map((t) => {
        const written = reserved.has(t.name) ? sqlIdentifier(t.name) : t.name;
        return `${written} (${basename(t.path)})`;
      }),
      read: named.map((t) => t.path),
      fileLine: (message) => fileLineMessage(message, reads),
      oneColumn: await oneColumnFiles(connection, named),
      decoded,
      aboveHeader,
    });
  } finally {
    await connection.run("RESET search_path");
    await connection.run(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    for (const close of closes) await close();
  }
}
