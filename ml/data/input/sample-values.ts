// The values a column holds in a log's first rows, with their counts: what the read's checks of
// side columns (a currency, an order status) look at without a pass over the whole log.
import type { DuckDBConnection } from "@duckdb/node-api";
import { columnText } from "./sql-text.ts";

/** Rows looked at: enough to see what a column holds, cheap on any log. */
export const SAMPLE_ROWS = 100_000;

export interface SampledValues {
  /** Non-empty values in the sample. */
  sampled: number;
  /** Different values among them. */
  distinct: number;
  /** The values (trimmed text), the most frequent first; at most `limit`. */
  values: Array<{ value: string; rows: number }>;
}

/**
 * The first SAMPLE_ROWS rows' values of `column`, counted; `where` (SQL on `value`) picks the
 * values listed, `rowWhere` (SQL on the row) the rows they count, while `sampled` and `distinct`
 * count all of them (0 when none is listed).
 */
export async function sampleValues(
  connection: DuckDBConnection,
  peek: string,
  column: string,
  limit: number,
  where = "true",
  rowWhere = "true",
): Promise<SampledValues> {
  // `rowWhere` (SQL on the row's columns) picks the rows each listed value counts.
  const reader = await connection.runAndReadAll(
    `SELECT * FROM (
       SELECT v AS value, count(*) FILTER (WHERE counts) AS rows,
         sum(count(*)) OVER () AS sampled, count(*) OVER () AS distinct_values
       FROM (SELECT ${columnText(column)} AS v, coalesce(${rowWhere}, false) AS counts
             FROM ${peek} LIMIT ${SAMPLE_ROWS}) AS s
       WHERE v IS NOT NULL GROUP BY v) AS counted
     WHERE rows > 0 AND ${where} ORDER BY rows DESC, value LIMIT ${limit}`,
  );
  const rows = reader.getRowObjectsJS() as {
    value: string;
    rows: bigint;
    sampled: bigint | number;
    distinct_values: bigint;
  }[];
  const first = rows[0];
  return {
    sampled: first ? Number(first.sampled) : 0,
    distinct: first ? Number(first.distinct_values) : 0,
    values: rows.map((r) => ({ value: r.value, rows: Number(r.rows) })),
  };
}

/** `COLUMN=V1,V2` as one shell argument (quoted when it holds more than plain characters). */
export function shellArgument(text: string): string {
  return /^[\w.@:=,/+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
