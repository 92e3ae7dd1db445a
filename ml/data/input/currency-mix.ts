// A log in several currencies has its amounts summed as written: 10 EUR and 10 JPY make 20 of
// nothing. Shopify's and Stripe's exports carry a currency column; when one named so holds several
// values in the first rows, the read names them and the --keep-rows that models one currency.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LogInput } from "./log-input.ts";
import { columnText } from "./sql-text.ts";

/** Column names that hold a currency: Currency, currency_code, Currency Code, curr, ccy. */
const CURRENCY_COLUMN = /^(currency|currency[ _]?code|curr|ccy)$/i;
/** Rows looked at: enough to see a second currency, cheap on any log. */
const SAMPLE_ROWS = 100_000;
/** Currencies listed. */
const LISTED = 5;

export interface CurrencyMix {
  column: string;
  sampled_rows: number;
  /** The most frequent values first, at most five. */
  values: Array<{ value: string; rows: number }>;
  /** How many different values the sample holds. */
  distinct: number;
}

/** The currencies of the first rows when a currency column holds more than one, else null. */
export async function currencyMix(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns">,
): Promise<CurrencyMix | null> {
  const column = [...types.keys()].find((name) => CURRENCY_COLUMN.test(name.trim()));
  // A filter on it already picks the currencies to read.
  if (column === undefined || column === input.columns.keepBy) return null;
  const reader = await connection.runAndReadAll(
    `SELECT v AS value, count(*) AS rows, sum(count(*)) OVER () AS sampled,
       count(*) OVER () AS distinct_values
     FROM (SELECT ${columnText(column)} AS v FROM ${peek} LIMIT ${SAMPLE_ROWS}) AS s
     WHERE v IS NOT NULL GROUP BY v ORDER BY rows DESC, v LIMIT ${LISTED}`,
  );
  const rows = reader.getRowObjectsJS() as {
    value: string;
    rows: bigint;
    sampled: bigint | number;
    distinct_values: bigint;
  }[];
  const first = rows[0];
  if (first === undefined || Number(first.distinct_values) < 2) return null;
  return {
    column,
    sampled_rows: Number(first.sampled),
    values: rows.map((r) => ({ value: r.value, rows: Number(r.rows) })),
    distinct: Number(first.distinct_values),
  };
}

/** The CLI's and report's warning. */
export function currencyMixWarning(m: CurrencyMix): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const listed = m.values.map((v) => `${v.value} ${n(v.rows)}`).join(", ");
  const more = m.distinct > m.values.length ? `, and ${m.distinct - m.values.length} more` : "";
  const top = m.values[0]?.value ?? "";
  const keep = /^[\w.-]+$/.test(`${m.column}=${top}`)
    ? `${m.column}=${top}`
    : `'${`${m.column}=${top}`.replaceAll("'", "'\\''")}'`;
  return (
    `WARNING: column "${m.column}" holds ${m.distinct} currencies in the first ${n(m.sampled_rows)} ` +
    `rows (${listed}${more}): amounts are summed as written, whatever their currency; pass ` +
    `--keep-rows ${keep} to model one, or convert the amounts first`
  );
}
