// A log in several currencies has its amounts summed as written: 10 EUR and 10 JPY make 20 of
// nothing. Shopify's and Stripe's exports carry a currency column; when one named so holds several
// values in the first rows, the read names them and the --keep-rows that models one currency.
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
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

// A currency sign or code before or after a number ($1.25, €1,506.00, CHF 147.10, 5,00 zł): the
// number sniffer (number-format.ts) reads past it, so an amount column of a multi-store export
// with no currency column summed dollars, euros and yen as one currency, silently.
// What may stand for one: anything but digits, blanks, signs and separators (\p{Sc} and \p{L}
// cost RE2 ~40 ms a query to compile, this under 1).
const TOKEN = "[^0-9\\s.,'()+\\-\\x{2212}\\x{00A0}\\x{202F}]{1,4}";
const LEADING = `^\\(?[-+\\x{2212}]?(${TOKEN})`;
const TRAILING = `(${TOKEN})-?\\)?$`;
/** Signs and codes of one currency (upper case), by the name they are counted under. */
const SAME_CURRENCY: Record<string, string[]> = {
  USD: ["$", "US$", "USD"],
  EUR: ["€", "EUR"],
  GBP: ["£", "GBP"],
  // ¥ is the yen's and the yuan's sign, kr the Swedish, Norwegian, Danish and Icelandic crown's:
  // counted apart from their codes, which are each a currency (SHARED_SIGNS).
  "¥": ["¥", "￥"],
  JPY: ["JPY", "円"],
  CNY: ["CNY", "RMB", "元"],
  INR: ["₹", "RS", "INR"],
  KR: ["KR"],
  PLN: ["ZŁ", "PLN"],
  CZK: ["KČ", "CZK"],
  HUF: ["FT", "HUF"],
  BRL: ["R$", "BRL"],
  RUB: ["₽", "РУБ", "RUB"],
  // A dollar with its country's letters, and signs of their own, are their code's currency.
  AUD: ["A$", "AU$", "AUD"],
  CAD: ["C$", "CA$", "CAD"],
  NZD: ["NZ$", "NZD"],
  SGD: ["S$", "SGD"],
  HKD: ["HK$", "HKD"],
  MXN: ["MX$", "MEX$", "MXN"],
  TRY: ["₺", "TL", "TRY"],
  KRW: ["₩", "KRW"],
  PHP: ["₱", "PHP"],
  ILS: ["₪", "ILS", "NIS"],
  VND: ["₫", "VND"],
  UAH: ["₴", "UAH"],
  NGN: ["₦", "NGN"],
  THB: ["฿", "THB"],
  CRC: ["₡", "CRC"],
};
const CURRENCY_OF = new Map(
  Object.entries(SAME_CURRENCY).flatMap(([name, tokens]) => tokens.map((t) => [t, name])),
);
/** Accounting marks read as a sign (number-format.ts), not a currency. */
const SIGN_WORDS = new Set(["CR", "DR"]);

/** Signs several currencies write bare: "$" (US, Canadian, Australian… dollars), ¥, kr. */
const BARE_SIGNS = new Set(["$", "¥", "￥", "KR"]);
/** Bare signs of several currencies, by the name they are counted under: their currencies' codes. */
const SHARED_SIGNS: Record<string, { shown: string; codes: string[] }> = {
  "¥": { shown: "¥", codes: ["JPY", "CNY"] },
  KR: { shown: "kr", codes: ["SEK", "NOK", "DKK", "ISK"] },
};
/** Dollars whose own country writes a bare "$": a column's "$" may be one of them. */
const DOLLARS = new Set(["CAD", "AUD", "NZD", "SGD", "HKD", "MXN"]);

/**
 * The bare signs a currency is written with: --sign-currency says what those stand for, and no
 * other ("--sign-currency CAD" made "¥500" Canadian dollars too, summed with them silently).
 */
function bareSignsOf(currency: string): string[] {
  if (currency === "USD" || DOLLARS.has(currency)) return ["$"];
  if (SHARED_SIGNS["¥"]?.codes.includes(currency)) return ["¥", "￥"];
  if (SHARED_SIGNS.KR?.codes.includes(currency)) return ["KR"];
  return [];
}

/**
 * The currency a sign or code (upper-cased) names, or null: a known one, else a sign (not letters
 * only: C$, A$, ₩) or a code of three letters (CHF, CAD). A word such as "ea" or "ca" is none.
 * A bare sign ("$") is `sign`'s currency when given and written so (--sign-currency CAD).
 */
function currencyOf(token: string, sign?: string): string | null {
  if (token === "" || SIGN_WORDS.has(token)) return null;
  if (sign !== undefined && BARE_SIGNS.has(token)) {
    const code = sign.trim().toUpperCase();
    const named = CURRENCY_OF.get(code) ?? code;
    if (bareSignsOf(named).includes(token)) return named;
  }
  const known = CURRENCY_OF.get(token);
  if (known) return known;
  return !/^\p{L}+$/u.test(token) || /^[A-Z]{3}$/.test(token) ? token : null;
}

/** The currency a value's leading, else trailing, sign or code names, or null. */
const currencyOfValue = (lead: string, trail: string, sign?: string) =>
  currencyOf(lead, sign) ?? currencyOf(trail, sign);

/** Currencies listed with an example in the error. */
const EXAMPLES = 4;

interface Found {
  n: number;
  v: string;
  rn: number;
}

/**
 * A bare ¥ or kr beside one of its currencies' codes (¥500 and JPY 1000) is counted as that one;
 * beside two or more it may be either, said by what it returns; alone, it is one currency.
 */
function joinSharedSigns(found: Map<string, Found>): string[] {
  const said: string[] = [];
  for (const [name, { shown, codes }] of Object.entries(SHARED_SIGNS)) {
    const bare = found.get(name);
    const present = codes.filter((c) => found.has(c));
    if (bare === undefined || present.length === 0) continue;
    const [code] = present as [string];
    const coded = found.get(code) as Found;
    if (present.length > 1) {
      said.push(`a bare "${shown}" may be the ${present.join(" or the ")}`);
      continue;
    }
    const first = bare.rn < coded.rn ? bare : coded;
    found.set(code, { n: bare.n + coded.n, v: first.v, rn: first.rn });
    found.delete(name);
  }
  return said;
}

interface Written {
  lead: string;
  trail: string;
  n: bigint;
  v: string;
  rn: bigint;
}

/**
 * Throws when the amounts of a number column read in a sniffed format are written in more than
 * one currency ($1.25 and €1,506.00) on the lines kept: they would be summed as one. Names each
 * currency's first value with its line, and what to pass. One scan of the column when it names
 * one currency or none; the kept lines are asked only when it names more.
 */
export async function failOnMixedCurrencySigns(
  connection: DuckDBConnection,
  table: string,
  read: { column: string; columnName: string },
  describe: (rowid: number) => Promise<string>,
  sign?: string,
): Promise<void> {
  const { column, columnName } = read;
  const v = `trim(CAST(${column} AS VARCHAR))`;
  const tokens = (value: string) =>
    `upper(regexp_extract(${value}, ${sqlString(LEADING)}, 1)) AS lead,
     upper(regexp_extract(${value}, ${sqlString(TRAILING)}, 1)) AS trail`;
  // Without the line numbers (a window over the rows keeps one thread): 1,000,000 amounts in one
  // sign 0.8–1.4 s on two cores busy with other work (1.1–3.1 s with them). Plain columns skip it.
  const all = await connection.runAndReadAll(`SELECT DISTINCT ${tokens(v)} FROM ${table}`);
  const rows = all.getRowObjectsJS() as { lead: string | null; trail: string | null }[];
  const named = new Set(rows.map((r) => currencyOfValue(r.lead ?? "", r.trail ?? "", sign)));
  named.delete(null);
  if (named.size < 2) return;
  // Only the lines read (a --keep-rows on a store column picks one currency).
  const reader = await connection.runAndReadAll(
    `SELECT lead, trail, count(*) AS n, arg_min(v, rn) AS v, min(rn) AS rn FROM (
       SELECT rn, v, ${tokens("v")} FROM (SELECT row_number() OVER () - 1 AS rn, ${v} AS v FROM ${table})
     ) AS w JOIN lines ON lines.rowid = w.rn WHERE lines.reason IS NULL GROUP BY lead, trail`,
  );
  const found = new Map<string, Found>();
  let bareDollar = false;
  for (const w of reader.getRowObjectsJS() as unknown as Written[]) {
    const currency = currencyOfValue(w.lead ?? "", w.trail ?? "", sign);
    if (currency === null) continue;
    bareDollar ||= sign === undefined && (w.lead === "$" || (w.lead === "" && w.trail === "$"));
    const seen = found.get(currency);
    const first = seen === undefined || Number(w.rn) < seen.rn;
    found.set(currency, {
      n: (seen?.n ?? 0) + Number(w.n),
      v: first ? w.v : (seen as { v: string }).v,
      rn: first ? Number(w.rn) : (seen as { rn: number }).rn,
    });
  }
  const shared = joinSharedSigns(found);
  if (found.size < 2) return;
  // A bare "$" read as US dollars beside a dollar of its own sign's country may be that dollar.
  const dollars = bareDollar ? [...found.keys()].filter((c) => DOLLARS.has(c)) : [];
  // A bare ¥ beside JPY and CNY is listed, not counted: it is one of theirs.
  throw await mixedCurrencyError(columnName, [...found.values()], describe, {
    currencies: found.size - shared.length,
    dollars,
    shared: shared.map((s) => `; ${s}`).join(""),
  });
}

async function mixedCurrencyError(
  columnName: string,
  found: Found[],
  describe: (rowid: number) => Promise<string>,
  said: { currencies: number; dollars: string[]; shared: string },
): Promise<InputError> {
  const { dollars, shared } = said;
  const n = (v: number) => v.toLocaleString("en-US");
  const byLine = found.sort((a, b) => a.rn - b.rn);
  const examples: string[] = [];
  for (const c of byLine.slice(0, EXAMPLES)) {
    examples.push(
      `"${c.v}" (${await describe(c.rn)}; ${n(c.n)} ${c.n === 1 ? "value" : "values"})`,
    );
  }
  const more = byLine.length > EXAMPLES ? `, and ${byLine.length - EXAMPLES} more` : "";
  const [dollar] = dollars;
  const bare = dollar ? `; a bare "$" is also the sign of the ${dollars.join(" and the ")}` : "";
  const one =
    "read one currency at a time: pass --keep-rows COLUMN=VALUE with a store or currency column " +
    "and the value of one (e.g. --keep-rows 'store=EU'), or convert the amounts to one currency first";
  return new InputError(
    columnName,
    `column "${columnName}" holds amounts in ${said.currencies} currencies: ${examples.join(", ")}${more}; ` +
      `they would be summed as one currency${bare}${shared}`,
    {
      hint: dollar
        ? `if the "$" amounts are ${dollar}, pass --sign-currency ${dollar}; else ${one}`
        : one,
    },
  );
}
