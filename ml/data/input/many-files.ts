// Several CSV exports of one log (a folder of monthly files, `--data 'exports/orders-*.csv'`) read
// as one: joined into one file in the temp folder, each later file's header (and any title lines
// above it) left out, so returns match orders of another month and same-day lines merge. Every
// line number said afterwards is the line in the file it came from.

import { createWriteStream, readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { BadRowError } from "../bad-rows.ts";
import { openDecompressed } from "../line-reader.ts";
import { bomEncoding, csvHead, HEADER_SEARCH_LINES } from "./csv-head.ts";
import type { DataQuality } from "./data-quality.ts";
import { tableNameOf } from "./file-query.ts";
import { InputError } from "./input-error.ts";
import { fileScanSql } from "./load-source.ts";
import { JSON_FILE, type LogColumns, PARQUET_FILE } from "./log-input.ts";
import { delimiterOf, holdsValues, otherHeaderError } from "./other-header.ts";
import { LineScanner, SeenLines } from "./repeated-lines.ts";
import { tempCopyFolder } from "./temp-copies.ts";

/**
 * Files a folder or a pattern may hold to be joined: text logs, gzipped or not; or read as one
 * table: Parquet parts (Spark's, Databricks') or newline-delimited JSON parts (BigQuery's).
 */
const TEXT_LOG = /\.(csv|tsv|txt)(\.gz)?$/i;
const GLOB = /[*?[\]]/;

/** One file's lines in the joined file: its first data line there, and that line's own number. */
interface Part {
  path: string;
  firstLine: number;
  firstFileLine: number;
}

/** `*` and `?` of a file name pattern as a regular expression. */
function namePattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

/** The files of a folder or pattern: all text logs, all Parquet parts or all JSON parts. */
export interface ManyFiles {
  kind: "csv" | "parquet" | "json";
  files: string[];
}

/**
 * The files `--data` names when it is a folder or a file name pattern (sorted by name, so months
 * and parts come in order), else null. A folder or pattern naming no log is an InputError.
 */
export function filesOf(path: string): ManyFiles | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isFile()) return null; // a file named with [ or * is that file
  const folder = stat?.isDirectory() === true;
  if (!folder && !GLOB.test(path)) return null;
  const dir = folder ? path : dirname(path);
  if (!folder && GLOB.test(dir)) {
    throw new InputError(undefined, `${path}: a pattern may name files, not folders`, {
      hint: "put the pattern in the file name only, e.g. exports/orders-*.csv",
    });
  }
  const dirExists = statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
  const names = dirExists ? readdirSync(dir) : [];
  const wanted = folder
    ? { test: (n: string) => TEXT_LOG.test(n) || PARQUET_FILE.test(n) || JSON_FILE.test(n) }
    : namePattern(basename(path));
  const matched = names
    .filter((name) => wanted.test(name) && statSync(join(dir, name)).isFile())
    .sort();
  const kind = partsKind(matched);
  const other = matched.filter((name) => !PART_OF[kind].test(name));
  if (matched.length === 0 || other.length > 0) {
    const problem =
      matched.length === 0
        ? `names no CSV/TSV, Parquet or JSON file (${nothingMatched(folder, dirExists, dir, names)})`
        : `names files of other kinds (${other.join(", ")}); the files read as one are all CSV/TSV, all Parquet or all JSON`;
    throw new InputError(undefined, `${path}: ${problem}`, {
      hint: "pass a folder or pattern of .csv/.tsv files (gzipped or not), of .parquet parts or of .json parts, or one file",
    });
  }
  return { kind, files: matched.map((name) => join(dir, name)) };
}

const PART_OF = { csv: TEXT_LOG, parquet: PARQUET_FILE, json: JSON_FILE } as const;

/** What the files are: Parquet or JSON parts when all are, else CSV/TSV (the others then refused). */
function partsKind(names: string[]): ManyFiles["kind"] {
  if (names.length > 0 && names.every((n) => PARQUET_FILE.test(n))) return "parquet";
  if (names.length > 0 && names.every((n) => JSON_FILE.test(n))) return "json";
  return "csv";
}

/** Why a folder or pattern named nothing: what the folder holds, or that nothing is there. */
function nothingMatched(folder: boolean, dirExists: boolean, dir: string, names: string[]): string {
  if (folder) return `it holds ${names.slice(0, 8).join(", ") || "nothing"}`;
  if (!dirExists) return `there is no folder ${dir}`;
  // A name with [ or * that does not exist may be meant as a file's own name.
  return "no file matches it, and no file has that name";
}

/** The first lines of a file (decompressed), without line ends and a byte-order mark. */
async function headLines(path: string): Promise<string[]> {
  const head = await csvHead(path);
  if (bomEncoding(head) === "utf-16") {
    throw new InputError(undefined, `${path}: is UTF-16 text; only UTF-8 exports are joined`, {
      hint: "save the files as UTF-8 CSV, or pass them one at a time",
    });
  }
  return Buffer.from(head)
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .split("\n")
    .slice(0, HEADER_SEARCH_LINES)
    .map((line) => line.replace(/\r$/, ""));
}

/** The header line of the first file: the first naming the id and date columns (else line 1). */
function headerOf(lines: string[], columns: LogColumns): string {
  return (
    lines.find((l) => l.includes(columns.customerId) && l.includes(columns.date)) ?? lines[0] ?? ""
  );
}

/**
 * Files without a header (Spark's `df.write.csv` default), their columns named as DuckDB names
 * them: column0, column1, … and no line of the first file naming them.
 */
function headerless(lines: string[], columns: LogColumns): boolean {
  const named = [columns.customerId, columns.date].every((c) => /^column\d+$/.test(c));
  return named && !lines.some((l) => l.includes(columns.customerId));
}

/** A file's lines copied into the join: how many, and how many repeat each earlier part's. */
interface Copied {
  lines: number;
  /** Per part of this file (a file joined with `cat` has several), lines repeating each earlier part. */
  repeats: Map<number, Map<number, number>>;
  /** The line each part of this file starts at (its header line), after the first. */
  partStarts: number[];
}

const BLANK = Buffer.from("\n");

/** Where the copy of a file goes and what it is compared with. */
interface CopyTarget {
  out: NodeJS.WritableStream;
  seen: SeenLines;
  /** The part the file's first line belongs to. */
  index: number;
  /** The first file's header line: passed through (the reader counts it), never a repeat. */
  header: Buffer | null;
  /** A header line starts a new part (exports joined with `cat` into one file). */
  splitAtHeader: boolean;
  /** Columns whose names on a line not the header make it another header: an error. */
  otherHeaders?: LogColumns;
  /** The header's line in the file (lines above it that are headers too are named so). */
  headerAt?: number;
}

/**
 * Copies a file's lines after the first `skip` into `out`, CRLF line ends as LF (DuckDB's sniffer
 * refuses a file whose line ends change partway: a Windows export joined to another). A line
 * equal to one of an earlier part (repeated-lines.ts) is written blank, which the reader passes
 * over, so every later line keeps its number.
 */
async function copyLines(path: string, skip: number, target: CopyTarget): Promise<Copied> {
  const { out, seen, header, splitAtHeader, otherHeaders } = target;
  const scanner = new LineScanner();
  const repeats = new Map<number, Map<number, number>>();
  const partStarts: number[] = [];
  let index = target.index;
  let lines = 0;
  let toSkip = skip;
  const isHeader = (bytes: Buffer, start: number, stop: number) =>
    header !== null && stop - start === header.length && header.equals(bytes.subarray(start, stop));
  const otherHeader =
    header && otherHeaders
      ? otherHeaderCheck(path, header, otherHeaders, target.headerAt ?? 1)
      : null;
  const checkOtherHeader = (line: Buffer) => otherHeader?.(line, lines + skip);
  const repeated = (of: number) => {
    const counts = repeats.get(index) ?? new Map<number, number>();
    counts.set(of, (counts.get(of) ?? 0) + 1);
    repeats.set(index, counts);
  };
  /** Whole lines (ending in \n) as they go into the join. */
  const copy = (whole: Buffer): Buffer => {
    let bytes = whole;
    for (; toSkip > 0 && bytes.length > 0; toSkip--) bytes = bytes.subarray(bytes.indexOf(10) + 1);
    const pieces: Buffer[] = [];
    scanner.scan(bytes, (start, end, record) => {
      lines++;
      const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
      const atHeader = record && isHeader(bytes, start, stop);
      if (record && !atHeader && lines > 1) checkOtherHeader(bytes.subarray(start, stop));
      if (atHeader && splitAtHeader && lines > 1) {
        index++;
        partStarts.push(lines + skip);
      }
      const first =
        record && stop > start && !atHeader ? seen.firstSeenIn(bytes, start, stop, index) : index;
      if (first < index) {
        repeated(first);
        pieces.push(BLANK);
      } else if (stop < end) pieces.push(bytes.subarray(start, stop), BLANK);
      else pieces.push(bytes.subarray(start, end + 1));
    });
    return Buffer.concat(pieces);
  };
  let carry: Buffer = Buffer.alloc(0);
  for await (const piece of openDecompressed(path)) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
    const cut = bytes.lastIndexOf(10) + 1; // whole lines now; the rest with the next chunk
    carry = bytes.subarray(cut);
    if (cut > 0 && !out.write(copy(bytes.subarray(0, cut)))) {
      await new Promise((resolve) => out.once("drain", resolve));
    }
  }
  // A file without a final line end: its last line stays its own.
  if (carry.length > 0) out.write(copy(Buffer.concat([carry, BLANK])));
  return { lines, repeats, partStarts };
}

/** Throws the error of a line (by its number) that is a header other than `header`. */
function otherHeaderCheck(
  path: string,
  header: Buffer,
  columns: LogColumns,
  headerAt: number,
): (line: Buffer, number: number) => void {
  const text = header.toString("utf8");
  const delimiter = delimiterOf(text);
  const named = [columns.customerId, columns.date].map(Buffer.from);
  return (line, number) => {
    // A line naming both columns, or holding no value (a data line has its date and amount).
    if (!named.every((n) => line.includes(n)) && holdsValues(line, delimiter)) return;
    const other = line.toString("utf8");
    const error = otherHeaderError(path, number, text, other, columns, headerAt);
    if (error) throw error;
  };
}

/**
 * Throws when a line of the CSV at `path` is a header other than its first (otherHeaderError):
 * exports joined with `cat` whose later header has other columns. The file is read through once
 * (decompressed); a UTF-16 file, or one without a header, is not looked into.
 */
export async function failOnOtherHeader(path: string, columns: LogColumns): Promise<void> {
  const lines = await headLines(path).catch((error: unknown) => {
    if (error instanceof InputError) return null;
    throw error;
  });
  const text = lines === null ? null : headerLine(lines, columns);
  if (text === null) return;
  const header = Buffer.from(text);
  const check = otherHeaderCheck(path, header, columns, (lines?.indexOf(text) ?? 0) + 1);
  const scanner = new LineScanner();
  let number = 0;
  const scan = (bytes: Buffer) =>
    scanner.scan(bytes, (start, end, record) => {
      number++;
      const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
      const bom = number === 1 && bytes[start] === 0xef && bytes[start + 1] === 0xbb ? 3 : 0;
      const line = bytes.subarray(start + bom, stop);
      if (record && !line.equals(header)) check(line, number);
    });
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const piece of openDecompressed(path)) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
      const cut = bytes.lastIndexOf(10) + 1;
      carry = bytes.subarray(cut);
      if (cut > 0) scan(bytes.subarray(0, cut));
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    return; // a damaged .gz: the reader says so itself
  }
  if (carry.length > 0) scan(Buffer.concat([carry, BLANK]));
}

/**
 * The first file's header line (null for files without one) and how many lines to leave out at
 * the top of each file after the first: through its header.
 */
async function headerSkips(
  files: string[],
  columns: LogColumns,
): Promise<{ header: string | null; skips: number[] }> {
  const [first, ...rest] = files as [string, ...string[]];
  const header = headerLine(await headLines(first), columns);
  if (header === null) return { header, skips: files.map(() => 0) };
  const skips: number[] = [0];
  for (const path of rest) {
    const lines = await headLines(path);
    const at = lines.indexOf(header);
    if (at < 0) throw otherColumnsError(files, path, header, headerOf(lines, columns));
    skips.push(at + 1);
  }
  return { header, skips };
}

/**
 * A later file whose header differs from the first's. Other column names (Olist's orders,
 * customers and payments in one folder) are tables of one export, to be joined with --query: the
 * hint names each file's table. The same names written otherwise (a delimiter) are not.
 */
function otherColumnsError(files: string[], path: string, header: string, other: string) {
  const names = (line: string) => new Set(line.split(delimiterOf(line)).map((n) => n.trim()));
  const mine = names(other);
  const theirs = names(header);
  const differ = mine.size !== theirs.size || [...mine].some((n) => !theirs.has(n));
  const tables = files.map(tableNameOf).join(", ");
  const append = "only exports with the same columns in the same order are read as one log";
  return new InputError(
    undefined,
    `${path}: its header is not ${files[0]}'s (${JSON.stringify(header)})${differ ? ": the files have different columns" : ""}`,
    {
      hint: differ
        ? `if they are tables of one export (orders, customers, payments), join them with --query 'SELECT … FROM <table> JOIN <table> USING (<column>) …', each file read as a table named by its file name (${tables}); ${append}, or pass the files one at a time`
        : `${append}; write them alike, or pass the files one at a time`,
    },
  );
}

/** A file's header line from its first lines, or null for files without one. */
function headerLine(lines: string[], columns: LogColumns): string | null {
  return headerless(lines, columns) ? null : headerOf(lines, columns);
}

/** Lines of a later file that repeat lines of an earlier one (read once). */
export interface RepeatedLines {
  file: string;
  of: string;
  lines: number;
}

/** Joins the files into `target`: the first whole, the others from the line after their header. */
async function joinFiles(
  files: string[],
  columns: LogColumns,
  target: string,
): Promise<{ parts: Part[]; repeated: RepeatedLines[] }> {
  const { header: text, skips } = await headerSkips(files, columns);
  const header = text === null ? null : Buffer.from(text);
  const out = createWriteStream(target);
  const parts: Part[] = [];
  const repeated: RepeatedLines[] = [];
  const seen = new SeenLines();
  try {
    let line = 1;
    for (const [i, path] of files.entries()) {
      const skip = skips[i]!;
      parts.push({ path, firstLine: line, firstFileLine: skip + 1 });
      const copied = await copyLines(path, skip, {
        out,
        seen,
        index: i,
        header,
        splitAtHeader: false,
      });
      line += copied.lines;
      for (const [of, lines] of copied.repeats.get(i) ?? []) {
        repeated.push({ file: path, of: files[of] as string, lines });
      }
    }
  } finally {
    await new Promise((resolve) => out.end(resolve));
  }
  return { parts, repeated };
}

/**
 * One file holding several exports joined one after another (`cat`: its header line repeated,
 * which the reader counts): `read` gets a copy in which a line of a later part equal to one of an
 * earlier part is blank (read once, as a folder's overlapping exports are), and null is returned
 * when no line repeats. Line numbers are the file's own.
 */
export async function readJoinedParts<T extends { quality: DataQuality }>(
  path: string,
  columns: LogColumns,
  read: (copy: string) => Promise<T>,
): Promise<T | null> {
  // A UTF-16 file is not joined (headLines refuses it): it is read as it is.
  const lines = await headLines(path).catch((error: unknown) => {
    if (error instanceof InputError) return null;
    throw error;
  });
  const text = lines === null ? null : headerLine(lines, columns);
  if (text === null) return null;
  const header = Buffer.from(text);
  const dir = await tempCopyFolder("pp-join-");
  const copy = join(dir, "parts.csv");
  try {
    const out = createWriteStream(copy);
    let copied: Copied;
    try {
      const seen = new SeenLines();
      const headerAt = (lines?.indexOf(text) ?? 0) + 1;
      const target = {
        ...{ out, seen, index: 0, header, splitAtHeader: true },
        ...{ otherHeaders: columns, headerAt },
      };
      copied = await copyLines(path, 0, target);
    } finally {
      await new Promise((resolve) => out.end(resolve));
    }
    if (copied.repeats.size === 0) return null;
    const partName = (k: number) =>
      partOfFile(path, k === 0 ? undefined : copied.partStarts[k - 1]);
    const repeated: RepeatedLines[] = [];
    for (const [k, counts] of copied.repeats) {
      for (const [of, lines] of counts)
        repeated.push({ file: partName(k), of: partName(of), lines });
    }
    return await readCopyOfFile(path, copy, repeated, read);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A part of one file holding several exports, as messages name it. */
export const partOfFile = (path: string, fromLine?: number) =>
  fromLine === undefined ? `${path} (first part)` : `${path} (from line ${fromLine})`;

/**
 * `read` on a copy of the file at `path` whose lines are the file's own (errors name `path`, not
 * the copy), with the lines left out of the copy, `repeated`, in its quality account.
 */
export async function readCopyOfFile<T extends { quality: DataQuality }>(
  path: string,
  copy: string,
  repeated: RepeatedLines[],
  read: (copy: string) => Promise<T>,
): Promise<T> {
  const parts = [{ path, firstLine: 1, firstFileLine: 1 }];
  const result = await read(copy).catch((error: unknown) => {
    throw errorInFiles(error, copy, path, parts);
  });
  return { ...result, quality: { ...result.quality, repeated_lines: repeated } };
}

/** The file and its own line number of a line of the joined file. */
function locate(parts: Part[], line: number): { path: string; line: number } {
  let part = parts[0] as Part;
  for (const p of parts) if (p.firstLine <= line) part = p;
  return { path: part.path, line: line - part.firstLine + part.firstFileLine };
}

/** The quality account with each example line given in its own file (`example_files`). */
function qualityInFiles(quality: DataQuality, parts: Part[]): DataQuality {
  const examples: Record<string, number[]> = {};
  const exampleFiles: Record<string, string[]> = {};
  for (const [reason, lines] of Object.entries(quality.examples)) {
    const located = lines.map((l) => locate(parts, l));
    examples[reason] = located.map((l) => l.line);
    exampleFiles[reason] = located.map((l) => l.path);
  }
  return { ...quality, examples, example_files: exampleFiles, files: parts.map((p) => p.path) };
}

/** An error of the joined read, its lines (or rows) and path given as the files' own. */
function errorInFiles(error: unknown, joined: string, shown: string, parts: Part[]): unknown {
  if (!(error instanceof Error)) return error;
  // The reader's own errors speak of the joined file's lines, with its path or without.
  const ours = error instanceof InputError || error instanceof BadRowError;
  if (!ours && !error.message.includes(joined)) return error;
  const at = (n: string) => locate(parts, Number(n));
  if (error instanceof BadRowError) {
    const { path, line } = locate(parts, error.line);
    const field = error.field ? { field: error.field } : {};
    return new BadRowError(path, { line, ...field, message: error.problem });
  }
  // "joined.csv: line 9" and a bare "line 9" (the date sniffer's) both become "b.csv: line 3".
  const escaped = joined.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  error.message = error.message
    .replace(
      new RegExp(`(?:${escaped}: )?\\b(line|row) (\\d+)\\b`, "g"),
      (_, word: string, n: string) => {
        const l = at(n);
        return `${l.path}: ${word} ${l.line}`;
      },
    )
    .replaceAll(joined, shown);
  return error;
}

/**
 * Reads several exports as one log: `read` gets the path of their join (removed after); the
 * quality account and errors name each line's own file and number.
 */
export async function readManyFiles<T extends { quality: DataQuality }>(
  shown: string,
  files: string[],
  columns: LogColumns,
  read: (joined: string) => Promise<T>,
): Promise<T> {
  const dir = await tempCopyFolder("pp-join-");
  const joined = join(dir, "joined.csv");
  try {
    const { parts, repeated } = await joinFiles(files, columns, joined);
    const result = await read(joined).catch((error: unknown) => {
      throw errorInFiles(error, joined, shown, parts);
    });
    const quality = qualityInFiles(result.quality, parts);
    return {
      ...result,
      quality: repeated.length > 0 ? { ...quality, repeated_lines: repeated } : quality,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reads Parquet or JSON parts as one table: `read` gets the parts (DuckDB reads them in order);
 * rows in the quality account and errors are named in their own part, by each part's row count.
 */
export async function readManyParts<T extends { quality: DataQuality }>(
  shown: string,
  kind: "parquet" | "json",
  files: string[],
  read: () => Promise<T>,
): Promise<T> {
  const what = kind === "parquet" ? "Parquet" : "JSON";
  const parts: Part[] = [];
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    let row = 1;
    for (const path of files) {
      parts.push({ path, firstLine: row, firstFileLine: 1 });
      const counted = await connection.runAndReadAll(
        `SELECT count(*) AS n FROM ${fileScanSql(kind, path)}`,
      );
      row += Number((counted.getRowObjectsJS()[0] as { n: bigint }).n);
    }
  } catch (error) {
    throw new InputError(
      undefined,
      `${shown}: cannot be read as ${what} parts: ${(error as Error).message.split("\n")[0]}`,
      { hint: `pass a folder of ${what} files of one table, or one file` },
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const result = await read().catch((error: unknown) => {
    throw errorInFiles(error, shown, shown, parts);
  });
  return { ...result, quality: qualityInFiles(result.quality, parts) };
}
