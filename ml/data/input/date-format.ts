// Finds how a text date column is written: ISO (read as written, fast), or one strftime pattern
// out of the common shop-export layouts, checked with DuckDB's strptime on a sample and, when the
// sample leaves several candidates (01/02/2011: January or February?), on the whole column. A
// column still ambiguous after that is an error naming the candidates, never a silent guess.

import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import { sqlString } from "./sql-text.ts";

/** The fast path: `YYYY-MM-DD`, optionally followed by `T` or a space and a time. */
export const ISO = "%Y-%m-%d";

const DATE_PARTS = [
  "%Y-%m-%d",
  "%Y/%m/%d",
  "%Y%m%d",
  "%m/%d/%Y",
  "%d/%m/%Y",
  "%d.%m.%Y",
  "%m-%d-%Y",
  "%d-%m-%Y",
  "%m/%d/%y",
  "%d/%m/%y",
  "%d.%m.%y",
  "%d-%b-%Y",
  "%d %b %Y",
  "%b %d %Y",
  "%d-%b-%y",
];
const TIME_PARTS = [
  "",
  " %H:%M",
  " %H:%M:%S",
  "T%H:%M",
  "T%H:%M:%S",
  " %H:%M:%S.%f",
  "T%H:%M:%S.%f",
  " %I:%M %p",
  " %I:%M:%S %p",
  " %H:%M:%S%z",
  "T%H:%M:%S%z",
];

/** Every pattern tried when --date-format is not given. */
export const CANDIDATE_FORMATS = DATE_PARTS.flatMap((d) => TIME_PARTS.map((t) => d + t));

const ISO_TEXT = "\\d{4}-\\d{2}-\\d{2}([T ].*)?";
const SAMPLE = 20_000;

interface Sample {
  size: number;
  allIso: boolean;
  first: string;
  /** The row number (rowid) of the first sampled value, for messages. */
  firstRow: number;
}

/** Copies the first non-empty values of the column to table date_sample(v). */
async function sampleValues(
  connection: DuckDBConnection,
  table: string,
  column: string,
): Promise<Sample> {
  // rn counts the scan's rows (the first rows of a file scan come in order).
  await connection.run(
    `CREATE OR REPLACE TABLE date_sample AS SELECT rn, v FROM (
       SELECT row_number() OVER () - 1 AS rn, trim(CAST(${column} AS VARCHAR)) AS v
       FROM (SELECT ${column} FROM ${table} LIMIT ${SAMPLE * 5}) AS head) AS numbered
     WHERE v IS NOT NULL AND v <> '' LIMIT ${SAMPLE}`,
  );
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS size, bool_and(regexp_full_match(v, ${sqlString(ISO_TEXT)})) AS iso,
       arg_min(v, rn) AS first, min(rn) AS first_row FROM date_sample`,
  );
  const row = reader.getRowObjectsJS()[0] as Record<string, unknown>;
  return {
    size: Number(row.size),
    allIso: row.iso === true,
    first: String(row.first ?? ""),
    firstRow: Number(row.first_row ?? 0),
  };
}

/** How many values each format parses (one query, all formats side by side). */
async function parsedCounts(
  connection: DuckDBConnection,
  from: string,
  column: string,
  formats: string[],
): Promise<number[]> {
  const counts = formats
    .map((f, i) => `count(try_strptime(${column}, ${sqlString(f)})) AS c${i}`)
    .join(", ");
  const reader = await connection.runAndReadAll(`SELECT ${counts} FROM ${from}`);
  const row = reader.getRowObjectsJS()[0] as Record<string, bigint | number>;
  return formats.map((_, i) => Number(row[`c${i}`]));
}

const best = (formats: string[], counts: number[]) => {
  const top = Math.max(0, ...counts);
  return { top, formats: formats.filter((_, i) => counts[i] === top && top > 0) };
};

/**
 * The date format of a text column: ISO when every sampled value is ISO-like, else the one
 * strftime pattern that parses the most values. `describe(row)` turns a row number into
 * "line N" for messages.
 */
export async function sniffDateFormat(
  connection: DuckDBConnection,
  table: string,
  column: string,
  columnName: string,
  describe: (rowid: number) => Promise<string>,
): Promise<string> {
  const sample = await sampleValues(connection, table, column);
  if (sample.size === 0) {
    throw new InputError(columnName, `the date column "${columnName}" is empty in every row`, {
      hint: "pass --date-col naming the column that holds the purchase date",
    });
  }
  if (sample.allIso) return ISO;
  const onSample = best(
    CANDIDATE_FORMATS,
    await parsedCounts(connection, "date_sample", "v", CANDIDATE_FORMATS),
  );
  if (onSample.formats.length === 0) {
    const where = await describe(sample.firstRow);
    throw new InputError(
      columnName,
      `${where}: date "${sample.first}" in column "${columnName}" matches none of the known layouts`,
      { hint: "pass --date-format with its strftime pattern, e.g. --date-format '%d/%m/%Y %H:%M'" },
    );
  }
  if (onSample.formats.length === 1) return onSample.formats[0] as string;
  // Several fit the sample (e.g. only days <= 12 so far): let the whole column decide.
  const onColumn = best(
    onSample.formats,
    await parsedCounts(connection, table, `trim(CAST(${column} AS VARCHAR))`, onSample.formats),
  );
  if (onColumn.formats.length === 1) return onColumn.formats[0] as string;
  throw new InputError(
    columnName,
    `column "${columnName}" is ambiguous: every date (e.g. "${sample.first}") reads as ` +
      `${onColumn.formats.join(" or as ")}`,
    {
      hint: `pass --date-format with the one that is meant, e.g. --date-format '${onColumn.formats[0]}'`,
    },
  );
}
