// Reads an Excel workbook (.xlsx) into table `raw`, sheet by sheet as each inflates (a sheet of a
// million rows never sits in memory whole), every needed (and side) column as text: dates as the timestamp
// written in the cell (Excel has no time zone), numbers as plain numbers, formulas as their result.
// The shared strings and styles are parsed by xlsx-workbook-parts.ts, the rows by xlsx-sheet-rows.ts.

import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
// unzipper is imported when a workbook is read (as exceljs was: loading that cost every `ml`
// command ~0.6 s of start-up).
import type { CentralDirectory } from "unzipper";
import { InputError } from "./input-error.ts";
import type { LogSource } from "./log-input.ts";
import { sqlIdentifier } from "./sql-text.ts";
import { type SheetContext, type SheetRow, sheetRows } from "./xlsx-sheet-rows.ts";
import {
  parseDateStyles,
  parseSharedStrings,
  parseWorkbook,
  type WorkbookSheets,
} from "./xlsx-workbook-parts.ts";

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

/** A cell's value (as xlsx-sheet-rows.ts gives it) as text, or null when empty. */
export function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (value instanceof Date) {
    // The wall-clock time written in the cell, held as if it were UTC.
    return Number.isNaN(value.getTime())
      ? null
      : value.toISOString().slice(0, 19).replace("T", " ");
  }
  return String(value); // a boolean
}

/** The header cells of a row: trimmed text by column number (1-based). */
function headerOf(values: unknown[]): Map<string, number> {
  const header = new Map<string, number>();
  values.forEach((v, i) => {
    const name = cellText(v)?.trim();
    if (name && !header.has(name)) header.set(name, i);
  });
  return header;
}

/** What the sheets' cells need: the workbook's sheets, shared strings and styles. */
interface WorkbookIndex extends WorkbookSheets {
  /** xl/sharedStrings.xml's strings; [] when absent. */
  sharedStrings: string[];
  /** Per cell style of xl/styles.xml: whether it formats numbers as dates. */
  dateStyles: boolean[];
  /** The zip's entries by path, each inflated when streamed. */
  directory: CentralDirectory;
}

/**
 * Sheet names, relationships, the date system, the shared strings and styles, from the zip's
 * central directory (read from the end of the file; only these entries are then read and inflated,
 * the sheets one by one after). exceljs 4.4's streaming reader, used before, learned them while
 * streaming, and on Bun now and then named sheets before it had them ("Sheet1"), failed, or parsed
 * a sheet written before xl/sharedStrings.xml without its strings.
 */
async function workbookIndex(path: string): Promise<WorkbookIndex> {
  const { Open } = await import("unzipper");
  const directory = await Open.file(path);
  const text = async (name: string) =>
    (await directory.files.find((f) => f.path === name)?.buffer())?.toString("utf8") ?? "";
  return {
    ...parseWorkbook(await text("xl/workbook.xml"), await text("xl/_rels/workbook.xml.rels")),
    sharedStrings: parseSharedStrings(await text("xl/sharedStrings.xml")),
    dateStyles: parseDateStyles(await text("xl/styles.xml")),
    directory,
  };
}

/** What a sheet's cells need from the rest of the workbook. */
function sheetContext(index: WorkbookIndex): SheetContext {
  return {
    sharedStrings: index.sharedStrings,
    date1904: index.date1904,
    isDateStyle: (style) => index.dateStyles[style] === true,
  };
}

/** Which columns of a sheet are decoded: all until its header is found, then the needed ones. */
type ColumnFilter = { only: ReadonlySet<number> | null };

/** A sheet's rows one by one, from its part in the zip. */
async function* worksheetRows(
  index: WorkbookIndex,
  sheet: WorkbookSheets["sheets"][number],
  context: SheetContext,
  columns: ColumnFilter,
): AsyncGenerator<SheetRow> {
  const part = sheet.part && index.directory.files.find((f) => f.path === sheet.part);
  if (!part) throw new Error(`sheet "${sheet.name}" has no worksheet part in the archive`);
  const chunks = part.stream() as AsyncIterable<Uint8Array>;
  try {
    for await (const rows of sheetRows(chunks, context, columns)) yield* rows;
  } catch (error) {
    // zlib's own words ("invalid distance too far back") say nothing of where.
    throw new Error(`sheet "${sheet.name}" is damaged (${(error as Error).message})`);
  }
}

/**
 * The rows appended to table raw, with each one's row number in its sheet. The table is made at
 * the first header found: the needed columns and the side columns that header names (a status or
 * currency column the read's checks look at; a later sheet without one gives it empty).
 */
class SheetRows {
  private numbers = new Int32Array(1024);
  private appender: DuckDBAppender | null = null;
  private columns: string[] = [];
  count = 0;
  constructor(
    private readonly connection: DuckDBConnection,
    private readonly needed: string[],
    private readonly side: (header: string[]) => string[],
  ) {}

  /** Where each of the table's columns is in a sheet with this header (-1: not there). */
  async positionsIn(header: Map<string, number>): Promise<number[]> {
    if (this.appender === null) {
      this.columns = [...this.needed, ...this.side([...header.keys()])];
      const list = this.columns.map((c) => `${sqlIdentifier(c)} VARCHAR`).join(", ");
      await this.connection.run(`CREATE OR REPLACE TABLE raw (${list})`);
      this.appender = await this.connection.createAppender("raw");
    }
    return this.columns.map((c) => header.get(c) ?? -1);
  }

  close(): void {
    this.appender?.closeSync();
  }

  add(values: unknown[], positions: number[], rowNumber: number): void {
    const appender = this.appender as DuckDBAppender;
    for (const p of positions) {
      const text = p < 0 ? null : cellText(values[p]);
      if (text === null) appender.appendNull();
      else appender.appendVarchar(text);
    }
    appender.endRow();
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
      positions = await out.positionsIn(header);
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
  side: (header: string[]) => string[],
  checkColumns: (available: string[]) => void,
): Promise<ReadPass> {
  const out = new SheetRows(connection, needed, side);
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
    out.close();
  }
  pass.rowNumbers = out.rowNumbers();
  return pass;
}

/**
 * Appends the needed columns of every sheet that names them all near its top (or only of
 * `source.sheet`) to table raw (VARCHAR columns named as in the workbook), sheets in workbook
 * order, with the `side` columns of the first such sheet's header.
 */
export async function loadXlsxRows(
  connection: DuckDBConnection,
  source: XlsxSource,
  needed: string[],
  side: (header: string[]) => string[],
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
    pass = await readWorkbook(connection, source, index, needed, side, checkColumns);
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
