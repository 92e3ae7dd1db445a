// Reads an Excel workbook (.xlsx) into table `raw`, sheet by sheet as each inflates (a sheet of a
// million rows never sits in memory whole), every needed column as text: dates as the timestamp
// written in the cell (Excel has no time zone), numbers as plain numbers, formulas as their result.
// exceljs parses the shared strings and styles; the sheets' rows are parsed by xlsx-sheet-rows.ts.

import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
// exceljs and unzipper are imported when a workbook is read: loading them costs every `ml` command
// ~0.6 s of start-up (1.3 → 1.9 s for `ml publish --help`).
import type { CentralDirectory } from "unzipper";
import { InputError } from "./input-error.ts";
import type { LogSource } from "./log-input.ts";
import { sqlIdentifier } from "./sql-text.ts";
import { isDateFormat, type SheetContext, type SheetRow, sheetRows } from "./xlsx-sheet-rows.ts";

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

/** What the sheets' cells need: xl/workbook.xml, its relationships, shared strings and styles. */
interface WorkbookIndex {
  sheets: { id: number; name: string; rId: string; state?: string }[];
  rels: { Id: string; Target: string }[];
  date1904: boolean;
  /** xl/sharedStrings.xml as exceljs's reader caches it (text, or {richText}); [] when absent. */
  sharedStrings: unknown[];
  /** xl/styles.xml as exceljs's reader caches it (which number formats are dates). */
  styles: unknown;
  /** The zip's entries by path, each inflated when streamed. */
  directory: CentralDirectory;
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
 * Sheet names, relationships, the date system, the shared strings and styles, from the zip's
 * central directory (read from the end of the file; only these entries are then read and inflated,
 * the sheets one by one after). exceljs 4.4's streaming reader learned them while streaming, and on
 * Bun now and then named sheets before it had them ("Sheet1"), failed, or parsed a sheet written
 * before xl/sharedStrings.xml without its strings: read up front, they are there every time.
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
  return { sheets, rels, date1904, ...cached, directory };
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
  sharedStrings?: unknown[];
  styles?: unknown;
  _parseSharedStrings(entry: unknown): AsyncGenerator<unknown>;
  _parseStyles(entry: unknown): Promise<void>;
}

/** What a sheet's cells need, with each style's date test asked of exceljs's styles once. */
function sheetContext(index: WorkbookIndex): SheetContext {
  const styles = index.styles as { getStyleModel?(id: number): { numFmt?: string } | null };
  const known = new Map<number, boolean>();
  return {
    sharedStrings: index.sharedStrings,
    date1904: index.date1904,
    isDateStyle(style) {
      let date = known.get(style);
      if (date === undefined) {
        date = isDateFormat(styles.getStyleModel?.(style)?.numFmt);
        known.set(style, date);
      }
      return date;
    },
  };
}

/** Which columns of a sheet are decoded: all until its header is found, then the needed ones. */
type ColumnFilter = { only: ReadonlySet<number> | null };

/** A sheet's rows one by one, from its part in the zip. */
async function* worksheetRows(
  index: WorkbookIndex,
  sheet: WorkbookIndex["sheets"][number],
  context: SheetContext,
  columns: ColumnFilter,
): AsyncGenerator<SheetRow> {
  const target = index.rels.find((r) => r.Id === sheet.rId)?.Target;
  const part = target && index.directory.files.find((f) => f.path === `xl/${target}`);
  if (!part) throw new Error(`sheet "${sheet.name}" has no worksheet part in the archive`);
  const chunks = part.stream() as AsyncIterable<Uint8Array>;
  try {
    for await (const rows of sheetRows(chunks, context, columns)) yield* rows;
  } catch (error) {
    // zlib's own words ("invalid distance too far back") say nothing of where.
    throw new Error(`sheet "${sheet.name}" is damaged (${(error as Error).message})`);
  }
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

/**
 * Reads one sheet: its header is the first of its top rows that names every needed column (a
 * title block may sit above it); the rows under it go to `out`. `header` is the sheet's first
 * non-empty row, for messages; `read` says whether the header was found.
 */
async function readSheet(
  sheet: AsyncIterable<SheetRow>,
  needed: string[],
  out: SheetRows,
  columns: ColumnFilter,
): Promise<{ header: string[] | null; read: boolean }> {
  let positions: number[] | null = null;
  let first: string[] | null = null;
  for await (const row of sheet) {
    const values = row.values;
    if (positions !== null) {
      out.add(values, positions, row.number);
      continue;
    }
    const header = headerOf(values);
    if (header.size === 0) continue; // blank rows above the header
    first ??= [...header.keys()];
    if (needed.every((c) => header.has(c))) {
      positions = needed.map((c) => header.get(c) as number);
      columns.only = new Set(positions);
    } else if (row.number >= HEADER_SEARCH_ROWS) {
      break; // no row near the top names the columns: a notes or pivot sheet
    }
  }
  return { header: first, read: positions !== null };
}

/** What reading the workbook's sheets found. */
interface ReadPass {
  sheets: string[];
  sheetStarts: number[];
  seen: string[];
  skippedSheets: string[];
  firstHeader: string[] | null;
  rowNumbers: Int32Array;
}

async function readWorkbook(
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
  const context = sheetContext(index);
  try {
    for (const sheet of index.sheets) {
      pass.seen.push(sheet.name);
      if (source.sheet !== undefined && source.sheet !== sheet.name) continue;
      const start = out.count;
      const columns: ColumnFilter = { only: null };
      const rows = worksheetRows(index, sheet, context, columns);
      const { header, read } = await readSheet(rows, needed, out, columns);
      pass.firstHeader ??= header;
      if (read) {
        pass.sheets.push(sheet.name);
        pass.sheetStarts.push(start);
      } else if (header !== null) {
        if (source.sheet !== undefined) checkColumns(header);
        pass.skippedSheets.push(sheet.name);
      }
    }
  } finally {
    appender.closeSync();
  }
  pass.rowNumbers = out.rowNumbers();
  return pass;
}

/**
 * Appends the needed columns of every sheet that names them all near its top (or only of
 * `source.sheet`) to table raw (VARCHAR columns named as in the workbook), sheets in workbook order.
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
  let pass: ReadPass;
  try {
    pass = await readWorkbook(connection, source, index, needed, checkColumns);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw unreadable((error as Error).message);
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
