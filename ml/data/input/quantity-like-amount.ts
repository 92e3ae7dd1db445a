// An amount column that counts items rather than money (Ta Feng's AMOUNT is the units bought, its
// SALES_PRICE the line's money) trains every spend figure on units. When the amounts read are
// small whole numbers and another column named like money holds much larger ones, the read says
// so and names the option to pass. Only a warning: a shop can sell for whole units of a currency.
import type { DuckDBConnection } from "@duckdb/node-api";
import { optionWithColumn, suggestedColumns } from "./column-suggestion.ts";
import { amountReadAlone, type LogInput } from "./log-input.ts";
import { SAMPLE_ROWS } from "./sample-values.ts";
import { sqlIdentifier } from "./sql-text.ts";

export interface QuantityLikeAmount {
  /** The amount column, and the median of its amounts read (purchases and returns, unsigned). */
  column: string;
  median: number;
  /** The column named like money whose values are larger, and their median in the first rows. */
  other: string;
  other_median: number;
}

/** Amounts this small and whole (all but a few) look like item counts. */
const MEDIAN_AT_MOST = 3;
const WHOLE_AT_LEAST = 0.99;
/** …when a money-named column's median is at least this many times theirs. */
const LARGER_BY = 5;

/** The amount column when it looks like a count of items beside a money column; else null. */
export async function quantityLikeAmount(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns" | "noAmount">,
): Promise<QuantityLikeAmount | null> {
  const amount = amountReadAlone(input);
  if (amount === null) return null;
  const median = await amountsMedianIfWhole(connection);
  if (median === null) return null;
  const money = suggestedColumns("amount", "\u0000", [...types.keys()]).filter((c) => c !== amount);
  for (const other of money) {
    const otherMedian = await sampleMedian(connection, peek, other);
    if (otherMedian !== null && otherMedian >= LARGER_BY * Math.max(median, 1)) {
      return { column: amount, median, other, other_median: otherMedian };
    }
  }
  return null;
}

/** Lines looked at: the first ones tell a count from money (all of them cost 17 ms per 200,000). */
const AMOUNTS_LOOKED_AT = 10_000;

/** The median unsigned amount of the first lines read, when nearly all are small whole numbers. */
async function amountsMedianIfWhole(connection: DuckDBConnection): Promise<number | null> {
  const reader = await connection.runAndReadAll(
    `SELECT median(abs(amount)) AS median,
       avg(CASE WHEN amount = round(amount) THEN 1 ELSE 0 END) AS whole
     FROM (SELECT amount FROM lines WHERE reason IS NULL AND amount <> 0 LIMIT ${AMOUNTS_LOOKED_AT})`,
  );
  const [row] = reader.getRowObjectsJS() as { median: number | null; whole: number | null }[];
  if (row?.median == null || row.whole == null) return null;
  const median = Number(row.median);
  return median <= MEDIAN_AT_MOST && Number(row.whole) >= WHOLE_AT_LEAST ? median : null;
}

/** The median of a column's first rows read as plain numbers; null when most are not numbers. */
async function sampleMedian(
  connection: DuckDBConnection,
  peek: string,
  column: string,
): Promise<number | null> {
  const reader = await connection.runAndReadAll(
    `SELECT median(abs(v)) AS median, count(v) AS numbers, count(*) AS n
     FROM (SELECT TRY_CAST(${sqlIdentifier(column)} AS DOUBLE) AS v FROM ${peek} LIMIT ${SAMPLE_ROWS})`,
  );
  const [row] = reader.getRowObjectsJS() as { median: number | null; numbers: bigint; n: bigint }[];
  if (row?.median == null || Number(row.numbers) < 0.9 * Number(row.n)) return null;
  return Number(row.median);
}

/** The CLI's and report's warning. */
export function quantityLikeAmountWarning(q: QuantityLikeAmount): string {
  return (
    `WARNING: the amounts in "${q.column}" are small whole numbers (median ${q.median}), like a ` +
    `count of items, while "${q.other}" holds larger values (median ${q.other_median}): if ` +
    `"${q.column}" is a quantity, pass ${optionWithColumn("--amount-col", q.other)} (the line's ` +
    `money), or ${optionWithColumn("--quantity-col", q.column)} ` +
    `${optionWithColumn("--price-col", q.other)} if that is a unit price`
  );
}
