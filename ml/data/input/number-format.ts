// Finds how a numeric column (amount, quantity, price) is written when it is not plain numbers:
// a decimal point or a decimal comma, thousands separators, currency signs, accounting negatives.
// Like dates: settled on a sample, on the whole column when the sample ties, and an error naming
// both readings when the column still reads two ways ("1,234"), never a silent guess.

import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import { onlyWhere, sqlIdentifier, sqlString } from "./sql-text.ts";

/** plain: what DuckDB casts (12.5, -3, 1e3); point: 1,234.56 or $1,234.56; comma: 1.234,56 €. */
export type NumberFormat = "plain" | "point" | "comma";

/** How a format is shown in messages and in metrics.json `data.number_formats`. */
export const NUMBER_FORMAT_EXAMPLE: Record<Exclude<NumberFormat, "plain">, string> = {
  point: "1,234.56",
  comma: "1.234,56",
};

/** What --decimal-separator takes, and the format each means. */
export const DECIMAL_SEPARATORS: Record<string, Exclude<NumberFormat, "plain">> = {
  ".": "point",
  ",": "comma",
};

// A currency sign or code of up to 4 characters before or after the number ($, €, EUR, CHF);
// a sign before the number or after it (SAP's "12.50-"); or the whole in parentheses. Spaces
// include the no-break ones a locale's currency format writes (Intl: "1.234,50 €" in de-DE has
// U+00A0, fr-FR groups by U+202F), and a minus may be U+2212 (sv-SE: "−3,50 kr").
const SYMBOL = "[\\p{Sc}\\p{L}]{0,4}";
const SPACE = "[\\s\\x{00A0}\\x{202F}]?";
const SIGN = "[-+\\x{2212}]?";
const GROUP = "[\\s'\\x{00A0}\\x{202F}]"; // thousands by a space, a no-break space or an apostrophe
// Grouped by thousands, or the Indian way (lakh: "12,34,567"), or not at all.
const whole = (t: string) => `\\d{1,3}((${t})\\d{3})+|\\d{1,2}((${t})\\d{2})+(${t})\\d{3}|\\d+`;
const shape = (thousands: string, decimal: string) =>
  `^\\(?${SIGN}${SYMBOL}${SPACE}${SIGN}(${whole(`${thousands}|${GROUP}`)})(${decimal}\\d+)?${SPACE}${SYMBOL}-?\\)?$`;

// An accounting credit: "CR" after the number or before it, in any case ("1.00 CR", "1.00cr",
// "CR 1.00"; "$1.00 CR"), as bank statements and ledgers write a refund; "DR" (a debit) is the
// plain amount. A code such as CRC (Costa Rica's colón) is no credit.
export const CREDIT = "(?i)^\\(?CR[^a-z]|[^a-z]CR\\)?$";
/** A debit, "DR" written as CREDIT's "CR": a refund where credits are sales (--credit-is sale). */
const DEBIT = CREDIT.replaceAll("CR", "DR");

const PATTERN: Record<Exclude<NumberFormat, "plain">, string> = {
  point: shape(",", "\\."),
  comma: shape("\\.", ","),
};

/**
 * SQL: `text` with a whole amount's dash ("5,-", "5,--", "1.200,- €": German tills and invoices)
 * written as its zero cents, so that a decimal comma reads it and the dash is no minus.
 */
const wholeDashSql = (text: string) => `regexp_replace(${text}, ',--?(\\D*)$', ',00\\1')`;

/**
 * SQL of `text` (trimmed VARCHAR) as a DOUBLE under the format; NULL when it does not fit.
 * `credit`: what "CR" marks (LogInput.creditIs): a refund (negative), or a sale ("DR" negative).
 */
export function numberExpression(
  written: string,
  format: NumberFormat,
  credit: "sale" | "return" = "return",
): string {
  if (format === "plain") return `TRY_CAST(${written} AS DOUBLE)`;
  const text = format === "comma" ? wholeDashSql(written) : written;
  const keep = format === "point" ? "[^0-9.]" : "[^0-9,]";
  let digits = `regexp_replace(${text}, '${keep}', '', 'g')`;
  if (format === "comma") digits = `replace(${digits}, ',', '.')`;
  const negative = `(${text} LIKE '(%)' OR ${text} LIKE '%-%' OR ${text} LIKE '%\u2212%'
    OR regexp_matches(${text}, ${sqlString(credit === "sale" ? DEBIT : CREDIT)}))`;
  // What the plain cast reads (1e3, .5) also reads under a decimal point, never under a comma.
  const otherwise = format === "point" ? `TRY_CAST(${text} AS DOUBLE)` : "NULL";
  return `CASE WHEN regexp_full_match(${text}, ${sqlString(PATTERN[format])})
    THEN (CASE WHEN ${negative} THEN -1 ELSE 1 END) * TRY_CAST(${digits} AS DOUBLE)
    ELSE ${otherwise} END`;
}

const SAMPLE = 20_000;

interface Counts {
  size: number;
  plain: number;
  point: number;
  comma: number;
  /** Values with a '.' or ',' that both readings accept: they read differently. */
  separated: number;
  first: string;
}

async function counts(
  connection: DuckDBConnection,
  from: string,
  column: string,
  limit: number | null,
): Promise<Counts> {
  const v = `trim(CAST(${column} AS VARCHAR))`;
  const values = `SELECT ${v} AS v FROM ${from} WHERE ${v} <> ''${limit ? ` LIMIT ${limit}` : ""}`;
  const both = `regexp_full_match(v, ${sqlString(PATTERN.point)}) AND regexp_full_match(v, ${sqlString(PATTERN.comma)})`;
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS size, count(TRY_CAST(v AS DOUBLE)) AS plain,
       count(*) FILTER (WHERE regexp_full_match(v, ${sqlString(PATTERN.point)})
         OR TRY_CAST(v AS DOUBLE) IS NOT NULL) AS point,
       count(*) FILTER (WHERE regexp_full_match(${wholeDashSql("v")}, ${sqlString(PATTERN.comma)})) AS comma,
       count(*) FILTER (WHERE ${both} AND regexp_matches(v, '[.,]')) AS separated,
       first(v) FILTER (WHERE ${both} AND regexp_matches(v, '[.,]')) AS first
     FROM (${values}) AS s`,
  );
  const row = reader.getRowObjectsJS()[0] as Record<string, unknown>;
  return {
    size: Number(row.size),
    plain: Number(row.plain),
    point: Number(row.point),
    comma: Number(row.comma),
    separated: Number(row.separated),
    first: String(row.first ?? ""),
  };
}

/** The reading that parses more values, or null when both parse as many. */
function better(c: Counts): Exclude<NumberFormat, "plain"> | null {
  if (c.point === c.comma) return null;
  return c.point > c.comma ? "point" : "comma";
}

/**
 * A whole number under a thousand, a point and three digits ("10.690", "1.448"): 10.69 with a
 * decimal point, 10,690 where the point groups thousands (Hungarian forints, Swedish kronor).
 */
const GROUPED_BY_POINT = "-?[1-9][0-9]{0,2}\\.[0-9]{3}";

/** How a text column reads in the first SAMPLE rows (plainInSample). */
export interface SampledNumbers {
  /** Every non-empty value casts as a plain number. */
  plain: boolean;
  /** Some value has a point, and every such value is GROUPED_BY_POINT. */
  groupedByPoint: boolean;
  /** Some value has a point. */
  dotted: boolean;
}

/** SQL: a column's value as trimmed text, NULL when empty (what plainInSample and the checks read). */
const valueSql = (column: string) => `NULLIF(trim(CAST(${column} AS VARCHAR)), '')`;

/** SQL aggregates of `v` (a trimmed value or NULL): every `.` value is GROUPED_BY_POINT. */
const groupedByPointSql = (v: string) => {
  const dotted = `count(*) FILTER (WHERE contains(${v}, '.'))`;
  const grouped = `count(*) FILTER (WHERE ${onlyWhere(`contains(${v}, '.')`, `regexp_full_match(${v}, '${GROUPED_BY_POINT}')`)})`;
  return `${dotted} > 0 AND ${dotted} = ${grouped}`;
};

/**
 * Whether each column casts as a plain number in every non-empty value of the first SAMPLE rows,
 * and whether its values with a point could be thousands (groupedByPoint): one scan for all
 * columns, so a log of plain numbers pays almost nothing.
 */
export async function plainInSample(
  connection: DuckDBConnection,
  table: string,
  columns: string[],
): Promise<SampledNumbers[]> {
  if (columns.length === 0) return [];
  // Each value made text once, below the tests that read it five times.
  const values = columns.map((c, i) => `${valueSql(c)} AS v${i}`);
  const tests = columns.map((_, i) => {
    const v = `v${i}`;
    return `count(${v}) = count(TRY_CAST(${v} AS DOUBLE)) AS p${i}, ${groupedByPointSql(v)} AS g${i},
       bool_or(contains(${v}, '.')) AS d${i}`;
  });
  const reader = await connection.runAndReadAll(
    `SELECT ${tests.join(", ")} FROM (SELECT ${values.join(", ")}
       FROM (SELECT ${columns.join(", ")} FROM ${table} LIMIT ${SAMPLE}) AS head) AS s`,
  );
  const row = reader.getRowObjectsJS()[0] as Record<string, unknown>;
  return columns.map((_, i) => ({
    plain: row[`p${i}`] === true,
    groupedByPoint: row[`g${i}`] === true,
    dotted: row[`d${i}`] === true,
  }));
}

/**
 * Throws when every value of the column with a point is a whole number under a thousand, a point
 * and three digits ("10.690", "534" beside "1.448"): they read 1,000 times smaller with a decimal
 * point than where the point groups thousands, and nothing in the column tells which is meant. Read
 * as decimals, forint amounts came out 1,000 times too small and kronor ones out of order.
 */
export async function failOnGroupedByPoint(
  connection: DuckDBConnection,
  table: string,
  column: string,
  columnName: string,
): Promise<void> {
  const v = valueSql(column);
  const reader = await connection.runAndReadAll(
    `SELECT ${groupedByPointSql(v)} AS grouped, count(*) FILTER (WHERE contains(${v}, '.')) AS n,
       first(${v}) FILTER (WHERE contains(${v}, '.')) AS example FROM ${table}`,
  );
  const row = reader.getRowObjectsJS()[0] as { grouped: boolean; n: bigint; example: string };
  if (row.grouped !== true) return;
  const example = row.example;
  const asGrouped = Number(example.replace(".", "")).toLocaleString("en-US");
  throw new InputError(
    columnName,
    `column "${columnName}" is ambiguous: every number with a point ` +
      `(${Number(row.n).toLocaleString("en-US")}, e.g. "${example}") has three digits after it, ` +
      `so it reads as ${Number(example)} with a decimal point or as ${asGrouped} where the point groups thousands`,
    {
      hint: "pass --decimal-separator '.' if the point is the decimal one, or --decimal-separator ',' if it groups thousands (1.234,56)",
    },
  );
}

/**
 * The format of a text column: plain when DuckDB casts every sampled value (the fast path), else
 * the reading that parses the most values, when it parses more than the plain cast does.
 * `given` (--decimal-separator) skips the choice between point and comma.
 */
export async function sniffNumberFormat(
  connection: DuckDBConnection,
  table: string,
  column: string,
  columnName: string,
  given?: Exclude<NumberFormat, "plain">,
): Promise<NumberFormat> {
  const sample = await counts(connection, table, column, SAMPLE);
  if (sample.plain === sample.size) return given === "comma" && sample.size > 0 ? given : "plain";
  if (given) return given;
  const onSample = better(sample);
  if (onSample) return sample[onSample] > sample.plain ? onSample : "plain";
  if (sample.point <= sample.plain) return "plain";
  // Both readings parse every formatted value of the sample: only values such as "1,234" or
  // "1.234" tell them apart, and then the rest of the column must.
  if (sample.separated === 0) return "point";
  const whole = await counts(connection, table, column, null);
  const onColumn = better(whole);
  if (onColumn) return onColumn;
  if (whole.separated === 0) return "point";
  throw new InputError(
    columnName,
    `column "${columnName}" is ambiguous: every number (e.g. "${whole.first}") reads with a ` +
      `decimal point (${NUMBER_FORMAT_EXAMPLE.point}) or with a decimal comma (${NUMBER_FORMAT_EXAMPLE.comma})`,
    { hint: "pass --decimal-separator '.' or --decimal-separator ','" },
  );
}

const OTHER: Record<Exclude<NumberFormat, "plain">, Exclude<NumberFormat, "plain">> = {
  point: "comma",
  comma: "point",
};
const SEPARATOR_NAME = { point: "a decimal point", comma: "a decimal comma" } as const;

/** What --decimal-separator takes for a format (DECIMAL_SEPARATORS the other way round). */
const separatorOption = (format: Exclude<NumberFormat, "plain">) =>
  Object.keys(DECIMAL_SEPARATORS).find((option) => DECIMAL_SEPARATORS[option] === format);

/**
 * The hint when a --decimal-separator left every value of a column unread: the format the column
 * reads in without it, when that is the other separator (a `;` export's "2,10" read with '.'
 * was "pass --price-col naming a numeric column", about the right column). Null otherwise.
 */
export async function givenSeparatorHint(
  connection: DuckDBConnection,
  table: string,
  column: string,
  what: string,
  given: "." | ",",
): Promise<string | null> {
  const sniffed = await sniffNumberFormat(connection, table, sqlIdentifier(column), column).catch(
    () => null,
  );
  // Plain numbers are the ones DuckDB casts: written with a decimal point.
  const format = sniffed === "plain" ? "point" : sniffed;
  if (format === null || format === DECIMAL_SEPARATORS[given]) return null;
  return (
    `--decimal-separator '${given}' reads none of the ${what}; they read with ` +
    `${SEPARATOR_NAME[format]} (${NUMBER_FORMAT_EXAMPLE[format]}): pass --decimal-separator ` +
    `'${separatorOption(format)}', or leave it out`
  );
}

/** A value of the column with the row it is on (rowid), for messages. */
interface Seen {
  value: string;
  row: number;
}

/**
 * A column read in a sniffed format that also holds values only the other format reads ("12.50"
 * among "12,50"): exports from two locales joined into one log. The other export's values were
 * skipped as unreadable, and its values such as "1.250" (1.25 to it) were read as 1,250, so the
 * read stops with a value of each kind and what to pass. Looks at the values the format left
 * unread (lines' unread_<role>: none on a clean log); only when the other format reads some does
 * it read the whole column, for the examples.
 */
export async function failOnMixedNumberFormats(
  connection: DuckDBConnection,
  table: string,
  read: {
    role: string;
    column: string;
    columnName: string;
    format: "point" | "comma";
    /** The lines' reason for this column's unread values (rows left out for another are moot). */
    reason: string;
  },
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  const { role, column, columnName, format, reason } = read;
  const other = OTHER[format];
  const theirs = (v: string) => numberExpression(v, other);
  const unread = `unread_${role}`;
  // The other format's example is one of the lines counted (not a row a filter left out).
  const found = await connection.runAndReadAll(
    `SELECT count(*) AS n, arg_min(${unread}, rowid) AS v, min(rowid) AS rn FROM lines
     WHERE reason = ${sqlString(reason)} AND ${theirs(unread)} IS NOT NULL`,
  );
  const counted = found.getRowObjectsJS()[0] as { n: bigint; v: string | null; rn: bigint | null };
  const foreignCount = Number(counted.n);
  if (foreignCount === 0 || counted.v === null) return;
  const foreign: Seen = { value: counted.v.trim(), row: Number(counted.rn) };
  const mine = numberExpression("v", format);
  const kinds = {
    own: `${mine} IS NOT NULL AND ${theirs("v")} IS NULL`,
    ambiguous: `${mine} <> ${theirs("v")}`,
  };
  const picks = Object.entries(kinds).map(
    ([kind, when]) =>
      `arg_min(v, rn) FILTER (WHERE ${when}) AS ${kind}_v, min(rn) FILTER (WHERE ${when}) AS ${kind}_rn`,
  );
  const reader = await connection.runAndReadAll(
    `SELECT ${picks.join(", ")} FROM (
       SELECT row_number() OVER () - 1 AS rn, trim(CAST(${column} AS VARCHAR)) AS v FROM ${table}
     ) AS s WHERE v <> ''`,
  );
  const row = reader.getRowObjectsJS()[0] as Record<string, unknown>;
  const seen = (kind: string): Seen | null =>
    row[`${kind}_v`] == null
      ? null
      : { value: String(row[`${kind}_v`]), row: Number(row[`${kind}_rn`]) };
  const [own, ambiguous] = [seen("own"), seen("ambiguous")];
  if (!own) return;
  const at = async (s: Seen) => `"${s.value}" (${await describe(s.row)})`;
  const twoWays = ambiguous
    ? `; values such as ${await at(ambiguous)} read as a different number each way`
    : "";
  throw new InputError(
    columnName,
    `column "${columnName}" holds numbers written two ways: ${await at(own)} reads only with ` +
      `${SEPARATOR_NAME[format]}, ${await at(foreign)} only with ${SEPARATOR_NAME[other]} ` +
      `(${foreignCount.toLocaleString("en-US")} values read only that way)${twoWays}`,
    {
      hint:
        "exports from two locales joined? read each with its own --decimal-separator; or pass " +
        `--decimal-separator '${separatorOption(format)}' to read it with ${SEPARATOR_NAME[format]} ` +
        `(the values written the other way are then skipped as unreadable${ambiguous ? `, and ones such as "${ambiguous.value}" read with ${SEPARATOR_NAME[format]}` : ""})`,
    },
  );
}
