// Workbooks whose sheets overlap: Online Retail II's "Year 2009-2010" and "Year 2010-2011" both
// hold 2010-12-01..09. A row of a later sheet equal in every column read to a row of an earlier
// sheet is the same line exported twice; read twice, its spend would count double. It is read
// once, and the account says how many rows of which sheet repeated which.
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlIdentifier } from "./sql-text.ts";

export interface SheetRepeat {
  /** The later sheet, whose rows were left out. */
  sheet: string;
  /** The earlier sheet that holds the same rows. */
  of: string;
  rows: number;
}

/**
 * Removes from table raw (rows appended sheet by sheet; `starts[k]` is sheet k's first rowid) the
 * rows of a later sheet that repeat a row of an earlier one, and returns the row ids removed
 * (ascending, as numbered before the removal). Repeats within one sheet are kept: two equal lines of one invoice can be real.
 */
export async function dropSheetRepeats(
  connection: DuckDBConnection,
  columns: string[],
  sheets: string[],
  starts: number[],
): Promise<{ removed: number[]; repeats: SheetRepeat[] }> {
  if (sheets.length < 2) return { removed: [], repeats: [] };
  const bounds = starts.slice(1).map((start, k) => `WHEN rowid < ${start} THEN ${k}`);
  const sheet = `CASE ${bounds.join(" ")} ELSE ${sheets.length - 1} END`;
  const key = columns.map(sqlIdentifier).join(", ");
  await connection.run(`CREATE OR REPLACE TEMP TABLE sheet_of_row AS
    SELECT rowid AS id, ${sheet} AS sheet, min(${sheet}) OVER (PARTITION BY ${key}) AS first
    FROM raw`);
  const reader = await connection.runAndReadAll(
    `SELECT sheet, first, count(*) AS n FROM sheet_of_row WHERE sheet > first
     GROUP BY ALL ORDER BY sheet, first`,
  );
  const repeats = reader.getRowObjectsJS().map((r) => ({
    sheet: sheets[Number(r.sheet)] as string,
    of: sheets[Number(r.first)] as string,
    rows: Number(r.n),
  }));
  if (repeats.length === 0) {
    await connection.run("DROP TABLE sheet_of_row");
    return { removed: [], repeats };
  }
  const removed = (
    await connection.runAndReadAll("SELECT id FROM sheet_of_row WHERE sheet > first ORDER BY id")
  ).getColumnsJS()[0] as (bigint | number)[];
  await connection.run(`CREATE OR REPLACE TABLE raw_once AS
    SELECT * FROM raw WHERE rowid NOT IN (SELECT id FROM sheet_of_row WHERE sheet > first)
    ORDER BY rowid`);
  for (const statement of [
    "DROP TABLE raw",
    "ALTER TABLE raw_once RENAME TO raw",
    "DROP TABLE sheet_of_row",
  ]) {
    await connection.run(statement);
  }
  return { removed: removed.map(Number), repeats };
}

/** Each row's sheet (its index in the sheets read), from the row each sheet starts at. */
export function sheetIndexes(starts: readonly number[], rows: number): Int32Array {
  const out = new Int32Array(rows);
  for (const [k, start] of starts.entries()) out.fill(k, start);
  return out;
}

/** `numbers` without the entries at `removed` (ascending row ids). */
export function withoutRows(numbers: Int32Array, removed: readonly number[]): Int32Array {
  const out = new Int32Array(numbers.length - removed.length);
  let next = 0;
  let k = 0;
  for (let i = 0; i < numbers.length; i++) {
    if (k < removed.length && removed[k] === i) {
      k++;
      continue;
    }
    out[next++] = numbers[i]!;
  }
  return out;
}
