// Reads an Excel workbook (.xlsx) into table `raw` with exceljs's streaming reader (a sheet of a
// million rows never sits in memory whole), every needed column as text: dates as the timestamp
// written in the cell (Excel has no time zone), numbers as plain numbers, formulas as their result.

import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
// exceljs and unzipper are imported when a workbook is read: loading them costs every `ml` command
// ~0.6 s of start-up (1.3 → 1.9 s for `ml publish --help`).
import { InputError } from "./input-error.ts";
import type { LogSource } from "./log-input.ts";
import { sqlIdentifier } from "./sql-text.ts";

type XlsxSource = Extract<LogSource, { kind: "xlsx" }>;

/** The header is searched for in the first rows: a title block is a few rows, not a page. */
const HEADER_SEARCH_ROWS = 50;

export interface XlsxRows {
  /** The sheets read, in workbook order. */
  sheets: string[];
  /** Sheets left out because their first row lacks a needed column (a notes or pivot sheet). */
  skippedSheets: string[];
  /** Each row of `raw` (by rowid) as its row number in its sheet, for messages. */
  rowNumbers: Int32Array;
  /** The rowid of each read sheet's first row in `raw` (same order as `sheets`). */
  sheetStarts: number[];
}

/** A cell's value as text, or null when empty or an error such as #N/A. */
export function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value === "boolean") return String(value);
  if (value instanceof Date) {
    // exceljs reads the wall-clock time written in the cell as if it were UTC.
    return Number.isNaN(value.getTime())
      ? null
      : value.toISOString().slice(0, 19).replace("T", " ");
  }
  if (typeof value === "object") {
    const cell = value as Record<string, unknown>;
    if ("error" in cell) return null;
    if ("result" in cell) return cellText(cell.result); // a formula: its cached result
    if (Array.isArray(cell.richText)) {
      return (cell.richText as { text?: unknown }[]).map((r) => String(r.text ?? "")).join("");
    }
    if ("text" in cell) return cellText(cell.text); // a hyperlink
    // A string the reader had no table for: never let it pass as the text "[object Object]".
    if ("sharedString" in cell) throw new Error("a shared string was read before its table");
  }
  return String(value);
}

/** The header cells of a row: trimmed text by column number (1-based, as exceljs gives them). */
function headerOf(values: unknown[]): Map<string, number> {
  const header = new Map<string, number>();
  values.forEach((v, i) => {
    const name = cellText(v)?.trim();
    if (name && !header.has(name)) header.set(name, i);
  });
  return header;
}

/** What exceljs's reader learns from xl/workbook.xml, its relationships and shared strings. */
interface WorkbookIndex {
  sheets: { id: number; name: string; rId: string; state?: string }[];
  rels: { Id: string; Target: string }[];
  date1904: boolean;
  /** xl/sharedStrings.xml as exceljs's reader caches it (text, or {richText}); [] when absent. */
  sharedStrings: unknown[];
  /** xl/styles.xml as exceljs's reader caches it (which number formats are dates). */
  styles: unknown;
}

const attribute = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
const xmlText = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/**
 * Sheet names, relationships, the date system and the shared strings, from the zip's central
 * directory (read from the end of the file; only these entries are then read and inflated, not the
 * sheets). exceljs 4.4's streaming reader learns them while streaming, and on Bun now and then
 * names sheets before it has them ("Sheet1") or fails ("this.model.sheets", "properties.model"):
 * seen in 2 of 40 reads of one file. It also parsed a sheet written before xl/sharedStrings.xml
 * (as exceljs and others write them) without its strings: every text cell an object, the header
 * "[object Object]" (1 of 40 reads with the CPUs busy; 0 of 80 with the strings given here). Given
 * up front, its reads are the same every time.
 */
async function workbookIndex(path: string): Promise<WorkbookIndex> {
  const { Open } = await import("unzipper");
  const directory = await Open.file(path);
  const entry = (name: string) => directory.files.find((f) => f.path === name);
  const text = async (name: string) => (await entry(name)?.buffer())?.toString("utf8") ?? "";
  const workbook = await text("xl/workbook.xml");
  const relsXml = await text("xl/_rels/workbook.xml.rels");
  const sheets = [...workbook.matchAll(/<(?:\w+:)?sheet\s[^>]*>/g)].map(([tag], i) => ({
    id: Number(attribute(tag, "sheetId") ?? i + 1),
    name: xmlText(attribute(tag, "name") ?? `sheet ${i + 1}`),
    rId: attribute(tag, "r:id") ?? "",
    ...(attribute(tag, "state") ? { state: attribute(tag, "state") } : {}),
  }));
  const rels = [...relsXml.matchAll(/<(?:\w+:)?Relationship\s[^>]*>/g)].map(([tag]) => ({
    Id: attribute(tag, "Id") ?? "",
    // exceljs matches "worksheets/sheetN.xml"; some writers give "/xl/worksheets/sheetN.xml".
    Target: (attribute(tag, "Target") ?? "").replace(/^\/?xl\//, ""),
  }));
  const pr = /<(?:\w+:)?workbookPr\s[^>]*>/.exec(workbook)?.[0] ?? "";
  const date1904 = ["1", "true"].includes(attribute(pr, "date1904") ?? "");
  const cached = await readCachedParts(entry("xl/sharedStrings.xml"), entry("xl/styles.xml"));
  return { sheets, rels, date1904, ...cached };
}

/** The shared strings and styles, parsed by exceljs's own parsers into the caches it reads. */
async function readCachedParts(
  strings: { stream(): NodeJS.ReadableStream } | undefined,
  styles: { stream(): NodeJS.ReadableStream } | undefined,
): Promise<Pick<WorkbookIndex, "sharedStrings" | "styles">> {
  const { default: ExcelJS } = await import("exceljs");
  const parser = new ExcelJS.stream.xlsx.WorkbookReader("", {
    sharedStrings: "cache",
    styles: "cache",
  }) as unknown as ReaderInternals;
  if (strings) {
    for await (const _ of parser._parseSharedStrings(strings.stream())) {
      // cache mode yields nothing: the strings collect in parser.sharedStrings
    }
  }
  if (styles) await parser._parseStyles(styles.stream());
  return { sharedStrings: parser.sharedStrings ?? [], styles: parser.styles };
}

interface ReaderInternals {
  model?: unknown;
  properties?: unknown;
  workbookRels?: unknown;
  sharedStrings?: unknown[];
  styles?: unknown;
  _parseRels(entry: unknown): Promise<void>;
  _parseWorkbook(entry: unknown): Promise<void>;
  _parseSharedStrings(entry: unknown): AsyncGenerator<unknown>;
  _parseStyles(entry: unknown): Promise<void>;
  _parseWorksheet(iterator: unknown, sheetNo: string): Generator<unknown>;
}

async function workbookReader(path: string, index: WorkbookIndex) {
  const { default: ExcelJS } = await import("exceljs");
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    sharedStrings: "cache",
    styles: "cache", // needed to tell a date cell from a number
    hyperlinks: "ignore",
    worksheets: "emit",
    entries: "emit",
  });
  const internals = reader as unknown as ReaderInternals;
  internals.model = { sheets: index.sheets };
  internals.workbookRels = index.rels;
  internals.properties = { model: { date1904: index.date1904 } };
  // The entries are skipped when streamed past: what they hold is known already. A sheet that
  // comes before the shared strings is still parked in a temp file by exceljs and parsed after the
  // last entry (parsing it straight from the zip stream was 35% slower), but with the strings and
  // styles from the index, whether or not the stream reached their entries.
  internals._parseRels = async () => {};
  internals._parseWorkbook = async () => {};
  internals._parseStyles = async () => {};
  internals._parseSharedStrings = async function* (this: ReaderInternals) {
    this.sharedStrings = index.sharedStrings;
    yield* []; // exceljs delegates to it as to a generator; cache mode emits nothing
  };
  const parseWorksheet = internals._parseWorksheet;
  internals._parseWorksheet = function* (this: ReaderInternals, iterator, sheetNo) {
    this.sharedStrings = index.sharedStrings;
    this.styles = index.styles;
    yield* parseWorksheet.call(this, iterator, sheetNo);
  };
  return reader;
}

/** The rows appended to table raw, with each one's row number in its sheet. */
class SheetRows {
  private numbers = new Int32Array(1024);
  count = 0;
  constructor(private readonly appender: DuckDBAppender) {}

  add(values: unknown[], positions: number[], rowNumber: number): void {
    for (const p of positions) {
      const text = cellText(values[p]);
      if (text === null) this.appender.appendNull();
      else this.appender.appendVarchar(text);
    }
    this.appender.endRow();
    if (this.count === this.numbers.length) {
      const grown = new Int32Array(this.count * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.numbers[this.count++] = rowNumber;
  }

  rowNumbers(): Int32Array {
    return this.numbers.subarray(0, this.count);
  }
}

type Worksheet = AsyncIterable<{ values: unknown; number: number }>;

/**
 * Reads one sheet: its header is the first of its top rows that names every needed column (a
 * title block may sit above it); the rows under it go to `out`. `header` is the sheet's first
 * non-empty row, for messages; `read` says whether the header was found.
 */
async function readSheet(
  sheet: Worksheet,
  needed: string[],
  out: SheetRows,
): Promise<{ header: string[] | null; read: boolean }> {
  let positions: number[] | null = null;
  let first: string[] | null = null;
  let gaveUp = false;
  // The reader has to pass over every row of the sheet, so the loop is never broken off.
  for await (const row of sheet) {
    if (gaveUp) continue;
    const values = row.values as unknown[];
    if (positions !== null) {
      out.add(values, positions, row.number);
      continue;
    }
    const header = headerOf(values);
    if (header.size === 0) continue; // blank rows above the header
    first ??= [...header.keys()];
    if (needed.every((c) => header.has(c))) {
      positions = needed.map((c) => header.get(c) as number);
    } else if (row.number >= HEADER_SEARCH_ROWS) {
      gaveUp = true; // no row near the top names the columns: a notes or pivot sheet
    }
  }
  return { header: first, read: positions !== null };
}

/** One pass of exceljs's streaming reader over the workbook. */
interface ReadPass {
  sheets: string[];
  sheetStarts: number[];
  seen: string[];
  skippedSheets: string[];
  firstHeader: string[] | null;
  rowNumbers: Int32Array;
}

async function readWorkbookOnce(
  connection: DuckDBConnection,
  source: XlsxSource,
  index: WorkbookIndex,
  needed: string[],
  checkColumns: (available: string[]) => void,
): Promise<ReadPass> {
  await connection.run(
    `CREATE OR REPLACE TABLE raw (${needed.map((c) => `${sqlIdentifier(c)} VARCHAR`).join(", ")})`,
  );
  const appender = await connection.createAppender("raw");
  const out = new SheetRows(appender);
  const pass: ReadPass = {
    sheets: [],
    sheetStarts: [],
    seen: [],
    skippedSheets: [],
    firstHeader: null,
    rowNumbers: new Int32Array(0),
  };
  try {
    for await (const sheet of await workbookReader(source.path, index)) {
      const name = String((sheet as { name?: string }).name ?? `sheet ${pass.seen.length + 1}`);
      pass.seen.push(name);
      if (source.sheet !== undefined && source.sheet !== name) {
        for await (const _ of sheet) {
          // passed over: the stream must be read through to reach the next sheet
        }
        continue;
      }
      const start = out.count;
      const { header, read } = await readSheet(sheet as unknown as Worksheet, needed, out);
      pass.firstHeader ??= header;
      if (read) {
        pass.sheets.push(name);
        pass.sheetStarts.push(start);
      } else if (header !== null) {
        if (source.sheet !== undefined) checkColumns(header);
        pass.skippedSheets.push(name);
      }
    }
  } finally {
    appender.closeSync();
  }
  pass.rowNumbers = out.rowNumbers();
  return pass;
}

/** Reads of one workbook before it is called unreadable (see loadXlsxRows). */
const XLSX_READ_ATTEMPTS = 3;

/**
 * Appends the needed columns of every sheet that names them all near its top (or only of
 * `source.sheet`) to table raw (VARCHAR columns named as in the workbook). exceljs's streaming
 * reader, on Bun, now and then stops before the last sheets or fails inside; a pass that did not
 * see every sheet the workbook lists, or failed, is read again from the start, never used.
 */
export async function loadXlsxRows(
  connection: DuckDBConnection,
  source: XlsxSource,
  needed: string[],
  checkColumns: (available: string[]) => void,
): Promise<XlsxRows> {
  const unreadable = (problem: string) =>
    new InputError(undefined, `${source.path}: cannot be read as .xlsx: ${problem}`, {
      hint: "pass an Excel workbook saved as .xlsx (not .xls), or export the sheet as CSV",
    });
  let index: WorkbookIndex;
  try {
    index = await workbookIndex(source.path);
  } catch (error) {
    // unzipper's own words ("FILE_ENDED", "invalid signature") mean little to a shop's analyst.
    throw unreadable(
      `it is not a whole zip archive, which an .xlsx file is (${(error as Error).message})`,
    );
  }
  if (index.sheets.length === 0)
    throw unreadable("the archive lists no sheets (no xl/workbook.xml)");
  let pass: ReadPass | null = null;
  for (let attempt = 1; pass === null; attempt++) {
    let problem: string;
    try {
      const read = await readWorkbookOnce(connection, source, index, needed, checkColumns);
      const missing = index.sheets.filter((s) => !read.seen.includes(s.name)).map((s) => s.name);
      if (missing.length === 0) {
        pass = read;
        break;
      }
      problem = `the reader stopped before sheet(s) ${missing.join(", ")}`;
    } catch (error) {
      if (error instanceof InputError) throw error;
      problem = (error as Error).message;
    }
    if (attempt === XLSX_READ_ATTEMPTS) throw unreadable(`${problem} (${attempt} reads)`);
  }
  const { sheets, seen, skippedSheets, firstHeader } = pass;
  if (source.sheet !== undefined && !seen.includes(source.sheet)) {
    throw new InputError(
      undefined,
      `${source.path}: there is no sheet "${source.sheet}" (sheets: ${seen.join(", ")})`,
      {
        hint: "pass --sheet with one of those names, or leave it out to read every sheet with the columns",
      },
    );
  }
  // No sheet has every column: name the first sheet's columns and the option to pass.
  if (sheets.length === 0 && firstHeader !== null) checkColumns(firstHeader);
  if (sheets.length === 0) {
    throw new InputError(
      undefined,
      `${source.path}: no sheet has a header row (sheets: ${seen.join(", ") || "none"})`,
      {
        hint: "pass a workbook whose first non-empty row names the columns",
      },
    );
  }
  return { sheets, skippedSheets, rowNumbers: pass.rowNumbers, sheetStarts: pass.sheetStarts };
}
