// A --keep-rows/--drop-rows filter on a column written on an order's first line only (Shopify's
// Financial Status) read without --order-col: an empty cell is in no list, so --keep-rows left out
// every order's other lines (spend 42% of the truth: 185,536.00 → 78,271.10) and --drop-rows kept
// a refunded order's other items as purchases, with nothing said but the count left out. With
// --order-col an empty cell follows its order (transactions-sql.ts, orderFiltersSql); without it,
// a filter column empty on many lines, most right after a line of the same customer and day (an
// order's next item), is warned about, naming the column, the share, a line and --order-col.
import type { DuckDBConnection } from "@duckdb/node-api";
import { optionWithColumn } from "./column-suggestion.ts";
import type { LogInput } from "./log-input.ts";
import { SAMPLE_ROWS } from "./sample-values.ts";

/** Share of the lines a filter's column may leave empty before the account remarks on it. */
const EMPTY_FILTER_SHARE = 0.1;

/** A filter column empty on many lines, as the account keeps it. */
export interface EmptyFilterColumn {
  /** --keep-rows or --drop-rows. */
  option: string;
  column: string;
  /** Lines whose cell in the column is empty, of all lines read. */
  empty: number;
  rows: number;
  /** The first empty line right after a line of the same customer and day ("line 3"). */
  example: string;
  /** A column named like an order's, or "" for none. */
  order_column: string;
}

/**
 * Without --order-col: each filter whose column is empty on EMPTY_FILTER_SHARE of the lines or
 * more, most of them (in the first SAMPLE_ROWS lines) right after a line of the same customer and
 * day (or undated). Reads lines.pass_i (NULL where the column is empty).
 */
export async function emptyFilterColumns(
  connection: DuckDBConnection,
  input: LogInput,
  orderLike: string | undefined,
  describe: (rowid: number) => Promise<string>,
): Promise<EmptyFilterColumn[]> {
  const { keepBy, dropBy, order } = input.columns;
  if (order !== undefined) return [];
  const filters = [
    ...(keepBy === undefined ? [] : [{ option: "--keep-rows", column: keepBy }]),
    ...(dropBy === undefined ? [] : [{ option: "--drop-rows", column: dropBy }]),
  ];
  if (filters.length === 0) return [];
  // Empty cells are counted over every line; whether they follow a line of the same customer and
  // day, in the first SAMPLE_ROWS lines (a window over 2,100,000 lines took 0.7–0.8 s), and one of
  // that run of lines holds a value (an order's first line): a column empty but on the lines it
  // names (a status written only on cancelled invoices) has empty first lines too.
  const each = filters
    .map(
      (_, i) => `count(*) FILTER (WHERE pass_${i} IS NULL) AS empty_${i},
       count(*) FILTER (WHERE pass_${i} IS NULL AND sampled) AS sampled_${i},
       count(*) FILTER (WHERE pass_${i} IS NULL AND after_${i}) AS follows_${i},
       min(r) FILTER (WHERE pass_${i} IS NULL AND after_${i}) AS first_${i}`,
    )
    .join(",\n       ");
  const sampled = `rowid < ${SAMPLE_ROWS}`;
  const none = filters.map((_, i) => `false AS after_${i}`).join(", ");
  const after = filters
    .map((_, i) => `follows AND coalesce(filled_${i} >= run_start, false) AS after_${i}`)
    .join(", ");
  const filled = filters
    .map((_, i) => `max(CASE WHEN pass_${i} IS NOT NULL THEN r END) OVER w AS filled_${i}`)
    .join(", ");
  const inner = filters.map((_, i) => `filled_${i}`).join(", ");
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n, ${each} FROM (
       SELECT *, rowid AS r, false AS sampled, ${none} FROM lines WHERE NOT (${sampled})
       UNION ALL BY NAME
       SELECT * EXCLUDE (follows, run_start, ${inner}), ${after} FROM (
         SELECT *, max(CASE WHEN NOT follows THEN r END) OVER w AS run_start, ${filled}
         FROM (
           SELECT *, rowid AS r, true AS sampled, coalesce(customer_id = lag(customer_id) OVER w
             AND (day IS NULL OR day = lag(day) OVER w), false) AS follows
           FROM lines WHERE ${sampled} WINDOW w AS (ORDER BY rowid))
         WINDOW w AS (ORDER BY r ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))) AS l`,
  );
  const r = reader.getRowObjectsJS()[0] as Record<string, bigint | null>;
  const rows = Number(r.n);
  const out: EmptyFilterColumn[] = [];
  for (const [i, f] of filters.entries()) {
    const empty = Number(r[`empty_${i}`]);
    const follows = Number(r[`follows_${i}`]);
    const first = r[`first_${i}`];
    const inSample = Number(r[`sampled_${i}`]);
    if (first === null || empty < rows * EMPTY_FILTER_SHARE || 2 * follows < inSample) continue;
    const example = await describe(Number(first));
    out.push({ ...f, empty, rows, example, order_column: orderLike ?? "" });
  }
  return out;
}

/** The CLI's and report's warning for one such column. */
export function emptyFilterColumnWarning(e: EmptyFilterColumn): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const share = ((100 * e.empty) / e.rows).toFixed(0);
  const fate = e.option === "--keep-rows" ? "left out" : "kept";
  const pass = e.order_column
    ? optionWithColumn("--order-col", e.order_column)
    : "--order-col naming the column that holds the order id";
  return (
    `WARNING: ${e.option} column "${e.column}" is empty on ${n(e.empty)} of ${n(e.rows)} lines ` +
    `(${share}%; e.g. ${e.example}), most right after a line of the same customer and day: if the column ` +
    "is written on an order's first line only (an order export's status), the order's other lines " +
    `are ${fate} whatever its value; pass ${pass} to have them follow their order`
  );
}
