// Customer ids as exports write them. A float export: pandas writes an id column with gaps as
// float64 (17850.0, as every cleaned copy of Online Retail has it), and Parquet keeps the double;
// read as the whole numbers they are, so forecasts and scores by id match the shop's own ids. A
// missing id written as a word (NULL, \N, nan, …): no customer, not one customer of all guests.
// Characters no one sees (a tab after the id, a zero-width space in it) are left out and counted.

import type { DuckDBConnection } from "@duckdb/node-api";
import {
  FLOAT_WRITTEN_ID,
  isFloatWrittenId,
  wholeNumberCustomerId,
} from "@pp/shared/contracts/forecast-request.ts";
import { InputError } from "./input-error.ts";
import { columnText, onlyWhere, sqlIdentifier, sqlString } from "./sql-text.ts";

/**
 * How tools write a missing value, lower-cased: SQL clients NULL, MySQL and PostgreSQL text COPY
 * \N, R NA, pandas' astype(str) nan and None, Excel #N/A, JavaScript null and undefined.
 */
const MISSING_ID_WORDS = [
  "null",
  "\\n",
  "na",
  "n/a",
  "#n/a",
  "nan",
  "none",
  "undefined",
  "nil",
  "(null)",
  "-",
];

/**
 * How reports label a total line, lower-cased (English, German, Dutch, French, Italian, Spanish;
 * and the grand totals and subtotals of spreadsheets' pivot tables in those and in Portuguese,
 * Russian, Polish, Swedish, Danish, Czech, Turkish, Chinese, Japanese and Korean): a
 * spreadsheet's monthly subtotals with a date beside them read as a customer buying the whole
 * month's spend on the last day. Matched whole, after a trailing colon: no shop's customer id.
 */
const TOTAL_LINE_WORDS = [
  "total",
  "totals",
  "subtotal",
  "sub-total",
  "sub total",
  "grand total",
  "summe",
  "gesamt",
  "gesamtsumme",
  "zwischensumme",
  "totaal",
  "subtotaal",
  "totale",
  "total général",
  "sous-total",
  "total general",
  "gesamtergebnis",
  "endsumme",
  "totale complessivo",
  "totale generale",
  "subtotale",
  "eindtotaal",
  "totaal generaal",
  "total geral",
  "итого",
  "общий итог",
  "промежуточный итог",
  "suma końcowa",
  "totalsumma",
  "delsumma",
  "hovedtotal",
  "i alt",
  "celkový součet",
  "celkem",
  "genel toplam",
  "ara toplam",
  "總計",
  "总计",
  "合計",
  "合计",
  "小計",
  "小计",
  "総計",
  "총합계",
  "합계",
  "소계",
];

/** `words` as an RE2 pattern matching any of them whole, in any case. */
const anyCase = (words: string[]) =>
  `(?i:${words.map((w) => w.replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&")).join("|")})`;

const MISSING_ID_PATTERN = anyCase(MISSING_ID_WORDS);
const TOTAL_LINE_PATTERN = `${anyCase(TOTAL_LINE_WORDS)}[: ]*`;
/**
 * An id a spreadsheet rounded: General format writes numbers of 12 digits or more as 4.00001E+12,
 * so customers whose ids share the first six digits become one id (that one then looks like a
 * guest account). No id of a shop's own is written with "E+".
 */
const ROUNDED_ID_PATTERN = "[0-9](\\.[0-9]+)?E\\+[0-9]{2}";

/**
 * SQL: true when the text `value` is one of MISSING_ID_WORDS (any case), NULL for NULL. A pattern,
 * not an IN list: DuckDB rewrites a long one into a join, which loses the scan's row order (rowid
 * is the line's position: every line number said would be wrong).
 */
export const missingIdWordSql = (value: string) => fullMatch(value, MISSING_ID_PATTERN);

/** SQL: true when the text `value` is one of TOTAL_LINE_WORDS (any case, a trailing colon). */
export const totalLineSql = (value: string) => fullMatch(value, TOTAL_LINE_PATTERN);

/**
 * SQL: true when any of the three above is. One pattern per line: the three checks on each of
 * 200,000 lines took ~30 ms on one thread, this ~10 (the lines SQL asks which only where true).
 * An id starting with a digit and without "E+" is none of them (no word starts with a digit): the
 * pattern is run on the others only, ~6 ms less on 200,000 ids of digits.
 */
export const noCustomerIdSql = (value: string) =>
  onlyWhere(
    `NOT (${startsWithDigitSql(value)} AND NOT contains(${value}, 'E+'))`,
    fullMatch(value, [MISSING_ID_PATTERN, TOTAL_LINE_PATTERN, ROUNDED_ID_PATTERN].join("|")),
  );

const fullMatch = (value: string, pattern: string) =>
  `regexp_full_match(${value}, ${sqlString(pattern)})`;

/** SQL: whether the text `value` starts with an ASCII digit (byte order: '0' to '9' sort below ':'). */
const startsWithDigitSql = (value: string) => `(${value} >= '0' AND ${value} < ':')`;

/** Ids of 16 digits or more, every digit past the 15th a zero: what a number cell keeps of them. */
const ROUNDED_LONG_ID = "[0-9]{15}0+";
/** Long ids all so before the read stops: by chance, 20 of them end so once in 10^20. */
const ROUNDED_LONG_IDS_MIN = 20;

/**
 * Throws when at least ROUNDED_LONG_IDS_MIN ids (table customers) have 16 digits or more and every
 * one of them has only zeros past its 15th: a spreadsheet keeps 15 significant digits of a number,
 * so card or loyalty numbers differing past it became one customer (1,500 customers read as 151).
 * The E+ form of such ids is skipped line by line (ROUNDED_ID_PATTERN); these look like any id.
 */
async function failOnRoundedLongIds(
  connection: DuckDBConnection,
  columnName: string,
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  const long = onlyWhere("strlen(customer_id) >= 16", "regexp_full_match(customer_id, '[0-9]+')");
  const rounded = onlyWhere(
    "strlen(customer_id) >= 16",
    `regexp_full_match(customer_id, ${sqlString(ROUNDED_LONG_ID)})`,
  );
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE ${long}) AS long, count(*) FILTER (WHERE ${rounded}) AS rounded,
       min(customer_id) FILTER (WHERE ${rounded}) AS example FROM customers`,
  );
  const row = reader.getRowObjectsJS()[0] as { long: bigint; rounded: bigint; example: string };
  if (Number(row.long) < ROUNDED_LONG_IDS_MIN || row.rounded !== row.long) return;
  const line = await connection.runAndReadAll(
    `SELECT min(rowid) AS r FROM lines WHERE customer_id = ${sqlString(row.example)}`,
  );
  const where = await describe(Number((line.getRowObjectsJS()[0] as { r: bigint }).r));
  throw new InputError(
    columnName,
    `column "${columnName}" holds ids a spreadsheet rounded: all ${Number(row.long).toLocaleString("en-US")} ids ` +
      `of 16 digits or more end in zeros past their 15th digit (e.g. "${row.example}", ${where}), as a ` +
      "number cell keeps 15; customers whose ids differ past it were merged into one",
    { hint: "export the customer id column as text and read it again" },
  );
}

/** 2^53: past it a double no longer holds every whole number, so distinct ids become one. */
const FLOAT_EXACT_LIMIT = 9_007_199_254_740_992;

/**
 * Throws when the source typed the id column as floating-point numbers (a JSON number past
 * 2^64, a Parquet DOUBLE column, a float column of a table) and some id is 2^53 or more: such
 * ids have lost their last digits before the read, and customers whose ids differ there are one
 * number (400 NDJSON customers read as 1, 400 Parquet customers as 201). A CSV's ids are text.
 */
export async function failOnFloatTypedIds(
  connection: DuckDBConnection,
  from: string,
  types: Map<string, string>,
  column: string,
): Promise<void> {
  const type = types.get(column) ?? "";
  if (!/^(DOUBLE|FLOAT|REAL)$/.test(type)) return;
  const c = sqlIdentifier(column);
  // NaN (Polars', Spark's and DuckDB's missing value in a DOUBLE column) sorts above every number
  // in DuckDB, but it is no id: read as text, "nan" is skipped as a missing id.
  const big = `abs(${c}) >= ${FLOAT_EXACT_LIMIT} AND NOT isnan(${c})`;
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE ${big}) AS big,
       CAST(max(${c}) FILTER (WHERE ${big}) AS VARCHAR) AS example FROM ${from}`,
  );
  const [row] = reader.getRowObjectsJS() as { big: bigint; example: string | null }[];
  if (!row || row.big === 0n) return;
  throw new InputError(
    column,
    `column "${column}" is read as floating-point numbers (${type}), and ${Number(row.big).toLocaleString("en-US")} rows ` +
      `hold an id of 2^53 or more (e.g. ${row.example}): such a number keeps about 16 digits, so ids ` +
      "that differ past them read as one, and their customers would be merged",
    {
      hint: "export the customer id column as text (in JSON as strings, in Parquet a string or INT64 column) and read it again",
    },
  );
}

/** Values looked at: the date and number sniffers' sample. */
const SAMPLE = 20_000;

/**
 * An id of the sample (e.g. "17850.0") when every id in it is a whole number written with a zero
 * fraction, else null. A sample of ids such as 0042 or AB-1 leaves every id as written.
 */
export async function floatWrittenIdExample(
  connection: DuckDBConnection,
  from: string,
  column: string,
): Promise<string | null> {
  // The patterns only where they can match: a word never starts with a digit, a float has a point
  // or a decimal comma.
  const word = onlyWhere(
    `NOT ${startsWithDigitSql("v")}`,
    `${missingIdWordSql("v")} OR ${totalLineSql("v")}`,
  );
  const float = onlyWhere(
    "(contains(v, '.') OR contains(v, ','))",
    fullMatch("v", FLOAT_WRITTEN_ID),
  );
  const reader = await connection.runAndReadAll(
    `SELECT count(v) AS n, count(v) FILTER (WHERE ${float}) AS floats, min(v) AS example
     FROM (SELECT ${visibleIdSql(column)} AS v FROM ${from} LIMIT ${SAMPLE})
     WHERE NOT coalesce(${word}, false)`,
  );
  const [row] = reader.getRowObjectsJS() as { n: bigint; floats: bigint; example: string }[];
  return row && row.n > 0n && row.floats === row.n ? row.example : null;
}

/** SQL of the text `id` without a zero fraction (17850.0 → 17850); any other id as it is. */
const wholeNumberSql = (id: string) =>
  `regexp_replace(${id}, ${sqlString(FLOAT_WRITTEN_ID)}, '\\1')`;

/**
 * Characters an id shows nothing of, dropped wherever they are: zero-width space, non-joiner and
 * joiner, word joiner, a byte order mark (one export appended to another leaves the second's at
 * the start of a line), left-to-right and right-to-left marks (text copied from a web page).
 */
const INVISIBLE = "\\x{200b}-\\x{200f}\\x{2060}\\x{feff}";
/**
 * Blanks around an id that trim() keeps (it takes spaces, no-break spaces and other Unicode
 * spaces): a tab, line ends, a vertical tab or a form feed, as a spreadsheet's cell leaves them.
 */
const CONTROL_BLANKS = "\\t\\n\\r\\v\\f";
/** An id holding either (columnText has trimmed its spaces): one to read without them. */
const UNSEEN = `[${INVISIBLE}]|^[${CONTROL_BLANKS}]|[${CONTROL_BLANKS}]$`;

/**
 * SQL: whether `text` holds UNSEEN. A test no regex needs comes first, and lets almost every id
 * through: every INVISIBLE character is non-ASCII (more bytes than characters), and a blank at the
 * start sorts below a space. On 10 million ids the regex alone took 0.35 s, and 0.1 s behind it.
 */
function holdsUnseenSql(text: string): string {
  const blankLast = [9, 10, 11, 12, 13].map((c) => `suffix(${text}, chr(${c}))`).join(" OR ");
  const mayHold = `strlen(${text}) <> length(${text}) OR ${text} < ' ' OR ${blankLast}`;
  return onlyWhere(mayHold, `regexp_matches(${text}, ${sqlString(UNSEEN)})`);
}

/**
 * SQL: the id's text (`text`, columnText's) when it holds what no one sees (UNSEEN; `holds`, SQL
 * saying so, when already computed), else NULL: lines.id_as_written, which unseenIdCharacters
 * counts. Removing the characters from every id (visibleIdSql does so only where they are) cost
 * 0.6 s a million lines.
 */
export const idAsWrittenSql = (text: string, holds = holdsUnseenSql(text)) =>
  `CASE WHEN ${holds} THEN ${text} END`;

/**
 * SQL of a column's id as text without what no one sees: INVISIBLE characters anywhere, blanks
 * around it; NULL when nothing is left. "17850\t" and "17850" split one customer in two, with
 * frequency and recency each counted on half the purchases.
 */
function visibleIdSql(column: string): string {
  return visibleTextSql(columnText(column));
}

/**
 * visibleIdSql of the id's text (`text`: columnText's, or a column holding it; `holds`: SQL of
 * whether it holds UNSEEN, when already computed).
 */
function visibleTextSql(text: string, holds = holdsUnseenSql(text)): string {
  const shown = `regexp_replace(${text}, ${sqlString(`[${INVISIBLE}]`)}, '', 'g')`;
  const blanks = `^[\\s${CONTROL_BLANKS}\\x{a0}\\x{2007}\\x{202f}]+|[\\s${CONTROL_BLANKS}\\x{a0}\\x{2007}\\x{202f}]+$`;
  const trimmed = `NULLIF(trim(regexp_replace(${shown}, ${sqlString(blanks)}, '', 'g')), '')`;
  return `CASE WHEN ${holds} THEN ${trimmed} ELSE ${text} END`;
}

/**
 * The columns idStepsSql adds to a scan: the id's text, whether it holds what no one sees, the
 * text without it, unguarded.
 */
export const ID_STEPS = {
  text: "__pp_id_text",
  unseen: "__pp_id_unseen",
  visible: "__pp_id_visible",
  written: "__pp_id_written",
} as const;

/**
 * `from` with the id column's text, whether it holds what no one sees (read by the visible text
 * and by lines.id_as_written: ~3 ms of a 200,000-line read each time), visible text
 * (visibleIdSql) and text without Excel's guard (asWrittenIdSql) as columns (ID_STEPS), each
 * computed once, in a layer of its own. Written as one expression, each step repeated the one
 * before it several times (the id's text ~200 times over), and DuckDB evaluated every copy:
 * 0.14 s of a 200,000-line read's 0.45 s.
 */
export function idStepsSql(column: string, from: string): string {
  const text = `(SELECT *, ${columnText(column)} AS ${ID_STEPS.text} FROM ${from}) AS id_text`;
  const unseen = `(SELECT *, ${holdsUnseenSql(ID_STEPS.text)} AS ${ID_STEPS.unseen} FROM ${text}) AS id_unseen`;
  const visible = `(SELECT *, ${visibleTextSql(ID_STEPS.text, ID_STEPS.unseen)} AS ${ID_STEPS.visible} FROM ${unseen}) AS id_visible`;
  return `(SELECT *, ${asWrittenIdSql(ID_STEPS.visible)} AS ${ID_STEPS.written} FROM ${visible}) AS id_written`;
}

/** Characters no one sees (INVISIBLE) and the blanks trimmed around an id, as JavaScript patterns. */
const INVISIBLE_CHARACTERS = /[\u200b-\u200f\u2060\ufeff]/g;
const BLANKS_AROUND = /^[ \t\n\r\v\f\u00a0\u2007\u202f]+|[ \t\n\r\v\f\u00a0\u2007\u202f]+$/g;

/**
 * visibleIdSql's id in TypeScript, for ids given outside a log (`ml forget`'s): without what no one
 * sees and the blanks around it, as training stored it ("" when nothing is left). Taken as
 * written, "12 " and "\t14" matched no stored customer and were reported forgotten.
 */
export function visibleId(text: string): string {
  return text.replace(INVISIBLE_CHARACTERS, "").replace(BLANKS_AROUND, "");
}

/**
 * SQL of a line's customer id from its text without Excel's guard (`unguarded`, ID_STEPS.written):
 * composed (NFC), lower-cased with ignoreCase, and without a zero fraction (17850.0 → 17850).
 */
export function customerIdSql(
  unguarded: string,
  floatWritten: boolean,
  ignoreCase = false,
): string {
  const written = nfcSql(unguarded);
  const text = ignoreCase ? `lower(${written})` : written;
  return floatWritten ? wholeNumberSql(text) : text;
}

/**
 * SQL: the id in Unicode's composed form (NFC, nfcCustomerId): "José" written decomposed (as macOS
 * writes it) and composed were two customers. Only ids with a non-ASCII character (more bytes
 * than characters) pay for the normalisation.
 */
function nfcSql(text: string): string {
  // nfc_normalize ends an id at a NUL ("é\0b" became "é", a customer): such an id stays whole,
  // to be skipped as binary data.
  const composable = onlyWhere(
    `strlen(${text}) <> length(${text})`,
    `NOT contains(${text}, chr(0))`,
  );
  return `CASE WHEN ${composable} THEN nfc_normalize(${text}) ELSE ${text} END`;
}

/**
 * SQL: the id without Excel's text guard `="00123"` (written so that a spreadsheet keeps the
 * leading zeros): `00123`, the shop's own id, which another export of the same customers writes
 * plainly (read as written, the two were two customers). Only values starting with `=` are looked
 * at, so other ids cost a prefix test.
 */
function asWrittenIdSql(text: string): string {
  const guarded = onlyWhere(`starts_with(${text}, '=')`, `regexp_full_match(${text}, '="(.*)"')`);
  return `CASE WHEN ${guarded} THEN NULLIF(trim(regexp_extract(${text}, '^="(.*)"$', 1)), '') ELSE ${text} END`;
}

/** How many ids of the read log differ from another only in a way that may not matter, and a pair. */
export interface IdVariants {
  ids: number;
  example: [string, string];
}

/**
 * Ids of the read log (table customers) that differ from another only in case, and one such pair;
 * null when none do. E-mail addresses typed by customers are the usual cause.
 */
function caseVariantIds(connection: DuckDBConnection): Promise<IdVariants | null> {
  return idVariants(connection, "lower(customer_id)", "true");
}

/** SQL over table customers: an id lower-casing changes (caseVariantIds' candidates). */
const CASED_ID = "lower(customer_id) <> customer_id";
/** SQL over table customers: an id starting with a zero (zeroPaddedVariantIds' candidates). */
const ZERO_LED_ID = "customer_id LIKE '0%'";
/** SQL over table customers: an id with a quote at its start or end (quotedVariantIds'). */
const QUOTED_ID = `(customer_id LIKE '"%' OR customer_id LIKE '%"' OR customer_id LIKE '''%' OR customer_id LIKE '%''')`;

/**
 * The checks of table customers' ids: failOnRoundedLongIds (may throw), then the ids that differ
 * only in case (unless ignored), in leading zeros, in quotes. One scan first says which can find
 * anything: each check's own query on 60,000 ids of digits cost 2-6 ms, the scan ~3 in all.
 */
export async function customerIdChecks(
  connection: DuckDBConnection,
  columnName: string,
  describe: (rowid: number) => Promise<string>,
  ignoreCase: boolean,
) {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE strlen(customer_id) >= 16) AS long,
       bool_or(${CASED_ID}) AS cased, bool_or(${ZERO_LED_ID}) AS zero_led,
       bool_or(${QUOTED_ID}) AS quoted FROM customers`,
  );
  const [shapes] = reader.getRowObjectsJS() as {
    long: bigint;
    cased: boolean | null;
    zero_led: boolean | null;
    quoted: boolean | null;
  }[];
  // Fewer ids that long than the rounded ones must be: failOnRoundedLongIds would pass.
  if (Number(shapes?.long) >= ROUNDED_LONG_IDS_MIN) {
    await failOnRoundedLongIds(connection, columnName, describe);
  }
  return {
    caseVariants: !ignoreCase && shapes?.cased ? await caseVariantIds(connection) : null,
    zeroPadded: shapes?.zero_led ? await zeroPaddedVariantIds(connection) : null,
    quoted: shapes?.quoted ? await quotedVariantIds(connection) : null,
  };
}

/**
 * Ids among the read lines (table lines) written as a whole number with a zero fraction beside the
 * same number without one ("17850.0" and "17850"), and one such pair; null when none are. The
 * float sniffer looks at a column's first values only: exports joined into one read, one of them
 * written by pandas as floats, split every customer in two.
 */
export function mixedFloatIds(connection: DuckDBConnection): Promise<IdVariants | null> {
  return idVariants(
    connection,
    wholeNumberSql("customer_id"),
    onlyWhere(
      "(customer_id LIKE '%.0%' OR customer_id LIKE '%,0%')",
      fullMatch("customer_id", FLOAT_WRITTEN_ID),
    ),
    "lines",
  );
}

/** SQL: the lines' ids written with a zero fraction, without it (after mixedFloatIds found some). */
export const WHOLE_NUMBER_LINE_IDS_SQL = `UPDATE lines
  SET customer_id = ${wholeNumberSql("customer_id")}
  WHERE regexp_full_match(customer_id, ${sqlString(FLOAT_WRITTEN_ID)})`;

/**
 * An id of digits with one kind of separator between them, a candidate for thousands separators
 * (12,345; 1.234.567; 12 345 with a space, a no-break or a narrow no-break space; Swiss 12'345).
 */
const SEPARATED_DIGITS = "[0-9]+([,. \\x{a0}\\x{202f}'\\x{2019}][0-9]+)+";
/** Such an id with its separator made a comma, when it is a number's thousands grouping. */
const THOUSANDS = "[1-9][0-9]{0,2}(,[0-9]{3})+";

/** Ids written with thousands separators and read without them: how many, and one pair. */
export interface GroupedIds extends IdVariants {
  /** Of those, the ids whose digits other lines wrote without separators (or with others). */
  twins: number;
}

/**
 * Reads without separators the ids of table lines written with thousands separators ("12,345":
 * a spreadsheet's number format, in one export of several) when other lines write the same
 * digits without them ("12345"), which read as written made one customer two; null when none do,
 * and the ids stay. A separator counts as one when every id holding it (and only digits besides)
 * is a number's grouping, so "1.5" or "012 345" among them leave that separator's ids as written.
 */
export async function groupedIds(connection: DuckDBConnection): Promise<GroupedIds | null> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE grouped_ids AS
     WITH separated AS (
       SELECT DISTINCT customer_id AS id, regexp_extract(customer_id, '[^0-9]') AS sep FROM lines
       WHERE regexp_full_match(customer_id, ${sqlString(SEPARATED_DIGITS)})),
     thousands AS (
       SELECT sep FROM separated GROUP BY sep
       HAVING bool_and(regexp_full_match(replace(id, sep, ','), ${sqlString(THOUSANDS)})))
     SELECT id, replace(id, sep, '') AS k FROM separated WHERE sep IN (SELECT sep FROM thousands)`,
  );
  const reader = await connection.runAndReadAll(
    `WITH plain AS (SELECT DISTINCT customer_id AS k FROM lines
       WHERE customer_id IN (SELECT k FROM grouped_ids)),
     twinned AS (SELECT id, k, k IN (SELECT k FROM plain) OR count(*) OVER (PARTITION BY k) > 1
       AS twin FROM grouped_ids)
     SELECT count(*) AS ids, count(*) FILTER (WHERE twin) AS twins,
       arg_min(id, k) FILTER (WHERE twin) AS a, min(k) FILTER (WHERE twin) AS b FROM twinned`,
  );
  const [row] = reader.getRowObjectsJS() as { ids: bigint; twins: bigint; a: string; b: string }[];
  if (!row || row.twins === 0n) return null;
  await connection.run(
    `UPDATE lines SET customer_id = g.k FROM grouped_ids AS g WHERE lines.customer_id = g.id`,
  );
  return { ids: Number(row.ids), twins: Number(row.twins), example: [row.a, row.b] };
}

/** The data summary's line about ids read without their thousands separators. */
export function groupedIdsLine(v: GroupedIds): string {
  const [grouped, plain] = v.example;
  return (
    `customer ids written with thousands separators (e.g. ${shownId(grouped)}) read without ` +
    `them (${shownId(plain)}), as other lines write them: ${v.ids.toLocaleString("en-US")} ids, ` +
    `${v.twins.toLocaleString("en-US")} of them written both ways`
  );
}

/** Lines whose id held what no one sees (UNSEEN), the ids they are read as, and one as written. */
export interface UnseenIdCharacters extends IdVariants {
  lines: number;
}

/**
 * How many lines of table lines had an id holding what no one sees (lines.id_as_written), the ids
 * they were read as, and the first such id as written and as read; null when none did.
 */
export async function unseenIdCharacters(
  connection: DuckDBConnection,
): Promise<UnseenIdCharacters | null> {
  // The id as written after a "|": the client's text decoding drops a byte order mark that
  // starts a string, and the example would show none.
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS lines, count(DISTINCT customer_id) AS ids,
       '|' || arg_min(id_as_written, rowid) AS written, arg_min(customer_id, rowid) AS read
     FROM lines WHERE id_as_written IS NOT NULL AND customer_id IS NOT NULL`,
  );
  const [row] = reader.getRowObjectsJS() as {
    lines: bigint;
    ids: bigint;
    written: string;
    read: string;
  }[];
  if (!row || row.lines === 0n) return null;
  const written = row.written.slice(1);
  return { lines: Number(row.lines), ids: Number(row.ids), example: [written, row.read] };
}

/** The data summary's line about ids read without what no one sees in them. */
export function unseenIdCharactersLine(v: UnseenIdCharacters): string {
  const [written, read] = v.example;
  return (
    `customer ids holding characters no one sees (tabs, zero-width spaces, byte order marks) ` +
    `read without them: ${v.lines.toLocaleString("en-US")} lines, ` +
    `${v.ids.toLocaleString("en-US")} customers (e.g. ${shownId(written)} read as ${shownId(read)})`
  );
}

/** An id in quotes with what no one sees spelled out: "17850\t", "\u200b17850". */
function shownId(id: string): string {
  return JSON.stringify(id).replace(
    /[\u00a0\u2007\u202f\u200b-\u200f\u2060\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Ids written in digits that differ from another only in leading zeros ("0042" and "42"), and one
 * such pair; null when none do. A spreadsheet drops the zeros of ids it reads as numbers, so an
 * export opened and saved in one disagrees with the shop's other exports.
 */
function zeroPaddedVariantIds(connection: DuckDBConnection): Promise<IdVariants | null> {
  return idVariants(
    connection,
    "ltrim(customer_id, '0')",
    onlyWhere(ZERO_LED_ID, "regexp_full_match(customer_id, '[0-9]+')"),
  );
}

/**
 * Ids that differ from another only in quotes at their start or end ('"c2' and "c2"), and one such
 * pair; null when none do. A stray quote on one line of a CSV is read as part of the id (the line's
 * purchase went to a ghost customer), and a spreadsheet's leading ' marks a cell as text.
 */
function quotedVariantIds(connection: DuckDBConnection): Promise<IdVariants | null> {
  return idVariants(connection, `trim(customer_id, '"''')`, QUOTED_ID);
}

/**
 * Ids of the read log (`table`'s customer_id: each customer once in customers, many times in
 * lines) that share `key` (SQL of customer_id, a key's key being itself) with another, among those
 * `where`. Only ids unlike their key and the ids equal to those keys are grouped: grouping all of
 * millions of ids took seconds, this a scan and a semi-join.
 */
async function idVariants(
  connection: DuckDBConnection,
  key: string,
  where: string,
  table = "customers",
): Promise<IdVariants | null> {
  const reader = await connection.runAndReadAll(
    `WITH unlike AS (
       SELECT DISTINCT customer_id, ${key} AS k FROM ${table}
       WHERE ${onlyWhere(where, `${key} <> customer_id`)}),
     candidates AS (
       SELECT customer_id, k FROM unlike
       UNION ALL SELECT DISTINCT customer_id, customer_id AS k FROM ${table}
       WHERE customer_id IN (SELECT k FROM unlike)),
     variants AS (
       SELECT k, count(*) AS n, min(customer_id) AS a, max(customer_id) AS b
       FROM candidates GROUP BY k HAVING count(*) > 1)
     SELECT sum(n) AS ids, arg_min(a, k) AS a, arg_min(b, k) AS b FROM variants`,
  );
  const [row] = reader.getRowObjectsJS() as { ids: bigint | null; a: string; b: string }[];
  if (!row || row.ids === null) return null;
  return { ids: Number(row.ids), example: [row.a, row.b] };
}

/**
 * The ids without their zero fraction when every one is written so (17850.0 → 17850) and no two
 * become one; else null. For readers that hold every id (the summary CSV).
 */
export function wholeNumberIds(ids: readonly string[]): string[] | null {
  if (ids.length === 0 || !ids.every(isFloatWrittenId)) return null;
  const whole = ids.map(wholeNumberId);
  return new Set(whole).size === whole.length ? whole : null;
}

/** An id without its zero fraction (17850.0 → 17850); any other id as it is. */
export function wholeNumberId(id: string): string {
  return wholeNumberCustomerId(id);
}
