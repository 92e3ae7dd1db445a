// Stripe's API (and its JSON exports) writes amounts in the currency's smallest unit: `"amount":
// 5000` is 50.00 USD but 5,000 JPY. Read as written, every spend was 100 times too large, and
// every forecast of spend and value with it. Such records are refused unless --amount-unit says
// how to read them; `minor` divides each amount by its currency's unit. So is an amount column
// named in cents (total_cents), a shop database's integer minor units.
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import type { LogInput } from "./log-input.ts";
import { SAMPLE_ROWS } from "./sample-values.ts";
import { columnText, sqlString } from "./sql-text.ts";

/** Currencies without a minor unit, and with thousandths, as Stripe counts them. */
const ZERO_DECIMAL = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split(" ");
const THREE_DECIMAL = "BHD JOD KWD OMR TND".split(" ");
/** Stripe's objects that carry amounts (`"object": "charge"`). */
const STRIPE_OBJECTS = [
  "charge",
  "payment_intent",
  "invoice",
  "checkout.session",
  "refund",
  "balance_transaction",
];
const CURRENCY_COLUMN = /^(currency|currency[ _]?code)$/i;
const INTEGER_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;

/** Stripe's records name their kind in this column. */
export const STRIPE_OBJECT_COLUMN = "object";

/** Square's Money objects (`total_money.amount`), always in the currency's smallest unit. */
const SQUARE_MONEY = /(^|[._])money\.amount$/i;

/**
 * An amount column whose name says cents (money-rails' total_cents, amount_in_cents, priceCents,
 * "Amount (cents)"): integer minor units by the name's contract.
 */
const NAMED_IN_CENTS = (name: string) =>
  /(^|[ _.(-])(in[ _])?cents\)?$/i.test(name.trim()) || /[a-z](In)?Cents$/.test(name.trim());

/** The currency beside a Money object's amount (`total_money.currency`), to be read with it. */
export const moneyCurrency = (amount: string | undefined): string | undefined =>
  amount !== undefined && SQUARE_MONEY.test(amount)
    ? amount.replace(/amount$/i, "currency")
    : undefined;

/** The column with each amount's currency: its Money object's, else a column named so; if any. */
export function currencyColumn(types: Map<string, string>, amount?: string): string | undefined {
  const beside = moneyCurrency(amount);
  if (beside !== undefined && types.has(beside)) return beside;
  return [...types.keys()].find((name) => CURRENCY_COLUMN.test(name.trim()));
}

/** SQL: how many minor units make one unit of the row's currency (100 without a currency column). */
export function minorUnitsSql(currency: string | undefined): string {
  if (currency === undefined) return "100";
  const c = `upper(${columnText(currency)})`;
  const list = (codes: string[]) => `[${codes.map(sqlString).join(", ")}]`;
  return `CASE WHEN list_contains(${list(ZERO_DECIMAL)}, ${c}) THEN 1
    WHEN list_contains(${list(THREE_DECIMAL)}, ${c}) THEN 1000 ELSE 100 END`;
}

/**
 * Throws when the amounts are whole numbers in minor units by their source's contract, unless
 * --amount-unit is given: Stripe's records (an `object` column naming charges, payment intents, …)
 * or a field of Square's Money objects.
 */
export async function failOnMinorUnits(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns" | "amountUnit">,
): Promise<void> {
  // A unit price named in cents (unit_price_cents) makes quantity × price cents too.
  const { price } = input.columns;
  const amount = input.columns.amount ?? (price && NAMED_IN_CENTS(price) ? price : undefined);
  if (input.amountUnit !== undefined || amount === undefined) return;
  // Only a source whose contract is minor units is looked at (no query for any other log).
  const named = NAMED_IN_CENTS(amount);
  if (!SQUARE_MONEY.test(amount) && !types.has(STRIPE_OBJECT_COLUMN) && !named) return;
  if (!(await wholeNumbers(connection, peek, amount, types.get(amount) ?? ""))) return;
  const source = SQUARE_MONEY.test(amount)
    ? await firstAmount(connection, peek, amount, "true", "Square's Money amounts")
    : named
      ? await firstAmount(connection, peek, amount, "true", "amounts in cents (its name says so)")
      : types.has(STRIPE_OBJECT_COLUMN)
        ? await firstAmount(connection, peek, amount, stripeObjectSql(), "Stripe's amounts")
        : null;
  if (source === null) return;
  throw new InputError(
    amount,
    `column "${amount}" holds ${source.what}, written in the currency's smallest unit: ` +
      `${source.amount} is ${Number(source.amount) / 100} in dollars or euros`,
    {
      hint: "pass --amount-unit minor to read them in whole units (cents ÷ 100, yen as they are), or --amount-unit major if they are in whole units already",
    },
  );
}

/**
 * Whether the amounts are whole numbers: typed so (JSON, Parquet), or, read as text (CSV), so in
 * every value of the first rows. A CSV of Stripe's charges was read 100 times too large, because
 * only a typed column was looked at.
 */
async function wholeNumbers(
  connection: DuckDBConnection,
  peek: string,
  amount: string,
  type: string,
): Promise<boolean> {
  if (INTEGER_TYPES.test(type)) return true;
  if (type !== "VARCHAR") return false;
  const a = columnText(amount);
  const reader = await connection.runAndReadAll(
    `SELECT count(a) > 0 AND count(a) = count(*) FILTER (WHERE regexp_full_match(a, '-?[0-9]+')) AS whole
     FROM (SELECT ${a} AS a FROM ${peek} LIMIT ${SAMPLE_ROWS}) AS s`,
  );
  return (reader.getRowObjectsJS()[0] as { whole: boolean | null }).whole === true;
}

/** SQL: the row is a Stripe object that carries amounts ("charge", …), named in what it says. */
const stripeObjectSql = () =>
  `list_contains([${STRIPE_OBJECTS.map(sqlString).join(", ")}], ${columnText(STRIPE_OBJECT_COLUMN)})`;

/** The first amount among the first rows where `where` holds, with what the column holds; or null. */
async function firstAmount(
  connection: DuckDBConnection,
  peek: string,
  amount: string,
  where: string,
  what: string,
): Promise<{ what: string; amount: string } | null> {
  const reader = await connection.runAndReadAll(
    `SELECT a FROM (SELECT ${columnText(amount)} AS a, ${where} AS w FROM ${peek} LIMIT ${SAMPLE_ROWS})
     WHERE w AND a IS NOT NULL LIMIT 1`,
  );
  const row = reader.getRowObjectsJS()[0] as { a: string } | undefined;
  return row ? { what, amount: row.a } : null;
}
