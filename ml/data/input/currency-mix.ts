// A log in several currencies has its amounts summed as written: 10 EUR and 10 JPY make 20 of
// nothing. Shopify's and Stripe's exports carry a currency column; when one named so holds several
// values in the first rows, the read names them and the --keep-rows that models one currency.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LogInput } from "./log-input.ts";
import { sampleValues, shellArgument } from "./sample-values.ts";
import { sqlString } from "./sql-text.ts";

/** Column names that hold a currency: Currency, currency_code, Currency Code, curr, ccy. */
const CURRENCY_COLUMN = /^(currency|currency[ _]?code|curr|ccy)$/i;
/** A column named as holding each row's currency. */
export const isCurrencyColumn = (name: string) => CURRENCY_COLUMN.test(name.trim());
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
  input: Pick<LogInput, "columns" | "dropValues">,
): Promise<CurrencyMix | null> {
  const column = [...types.keys()].find(isCurrencyColumn);
  // A filter on it already picks the currencies to read.
  if (column === undefined || column === input.columns.keepBy) return null;
  const sample = await sampleValues(connection, peek, column, LISTED);
  if (sample.distinct < 2) return null;
  if (column === input.columns.dropBy) {
    // --drop-rows Currency=EUR,CAD leaving USD alone picks one as --keep-rows does.
    const dropped = (input.dropValues ?? []).map(sqlString).join(", ");
    const left = await sampleValues(
      connection,
      peek,
      column,
      2,
      `NOT list_contains([${dropped}], value)`,
    );
    if (left.values.length < 2) return null;
  }
  return { column, sampled_rows: sample.sampled, values: sample.values, distinct: sample.distinct };
}

/** The CLI's and report's warning. */
export function currencyMixWarning(m: CurrencyMix): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const listed = m.values.map((v) => `${v.value} ${n(v.rows)}`).join(", ");
  const more = m.distinct > m.values.length ? `, and ${m.distinct - m.values.length} more` : "";
  const top = m.values[0]?.value ?? "";
  return (
    `WARNING: column "${m.column}" holds ${m.distinct} currencies among its first ` +
    `${n(m.sampled_rows)} values (${listed}${more}): amounts are summed as written, whatever their currency; pass ` +
    `--keep-rows ${shellArgument(`${m.column}=${top}`)} to model one, or convert the amounts first`
  );
}
