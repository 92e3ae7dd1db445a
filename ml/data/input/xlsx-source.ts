// Reads an Excel workbook (.xlsx) into table `raw` with exceljs's streaming reader (a sheet of a
// million rows never sits in memory whole), every needed column as text: dates as the timestamp
// written in the cell (Excel has no time zone), numbers as plain numbers, formulas as their result.

import type { DuckDBConnection } from "@duckdb/node-api";
import ExcelJS from "exceljs";
import { InputError } from "./input-error.ts";
import type { LogSource } from "./log-input.ts";
import { sqlIdentifier } from "./sql-text.ts";

type XlsxSource = Extract<LogSource, { kind: "xlsx" }>;

export interface XlsxRows {
  /** The sheets read, in workbook order. */
  sheets: string[];
  /** Sheets left out because their first row lacks a needed column (a notes or pivot sheet). */
  skippedSheets: string[];
  /** Each row of `raw` (by rowid) as its row number in its sheet, for messages. */
  rowNumbers: Int32Array;
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

function workbookReader(path: string) {
  return new ExcelJS.stream.xlsx.WorkbookReader(path, {
    sharedStrings: "cache",
    styles: "cache", // needed to tell a date cell from a number
    hyperlinks: "ignore",
    worksheets: "emit",
    entries: "emit",
  });
}

/**
 * Appends the needed columns of every sheet whose first row names them all (or only of
 * `source.sheet`) to table raw (VARCHAR columns named as in the workbook).
 */
export async function loadXlsxRows(
  connection: DuckDBConnection,
  source: XlsxSource,
  needed: string[],
  checkColumns: (available: string[]) => void,
): Promise<XlsxRows> {
  await connection.run(
    `CREATE OR REPLACE TABLE raw (${needed.map((c) => `${sqlIdentifier(c)} VARCHAR`).join(", ")})`,
  );
  const appender = await connection.createAppender("raw");
  const sheets: string[] = [];
  const seen: string[] = [];
  const skippedSheets: string[] = [];
  let rowNumbers = new Int32Array(1024);
  let rows = 0;
  let firstHeader: string[] | null = null;
  try {
    for await (const sheet of workbookReader(source.path)) {
      const name = String((sheet as { name?: string }).name ?? `sheet ${seen.length + 1}`);
      seen.push(name);
      // The reader has to pass over every row of a sheet left out, so it is never broken off.
      let positions: number[] | "skip" | null =
        source.sheet === undefined || source.sheet === name ? null : "skip";
      for await (const row of sheet) {
        if (positions === "skip") continue;
        const values = row.values as unknown[];
        if (positions === null) {
          const header = headerOf(values);
          if (header.size === 0) continue; // blank rows above the header
          firstHeader ??= [...header.keys()];
          if (source.sheet !== undefined) checkColumns([...header.keys()]);
          if (needed.some((c) => !header.has(c))) {
            skippedSheets.push(name);
            positions = "skip";
          } else {
            positions = needed.map((c) => header.get(c) as number);
            sheets.push(name);
          }
          continue;
        }
        for (const p of positions) {
          const text = cellText(values[p]);
          if (text === null) appender.appendNull();
          else appender.appendVarchar(text);
        }
        appender.endRow();
        if (rows === rowNumbers.length) {
          const grown = new Int32Array(rows * 2);
          grown.set(rowNumbers);
          rowNumbers = grown;
        }
        rowNumbers[rows++] = row.number;
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      undefined,
      `${source.path}: cannot be read as .xlsx: ${(error as Error).message}`,
      {
        hint: "pass an Excel workbook saved as .xlsx (not .xls), or export the sheet as CSV",
      },
    );
  } finally {
    appender.closeSync();
  }
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
  return { sheets, skippedSheets, rowNumbers: rowNumbers.subarray(0, rows) };
}
