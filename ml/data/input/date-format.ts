// Finds how a text date column is written: ISO (read as written, fast), or one strftime pattern
// out of the common shop-export layouts, checked with DuckDB's strptime on a sample and, when the
// sample leaves several candidates (01/02/2011: January or February?), on the whole column. A
// column still ambiguous after that is an error naming the candidates, never a silent guess.

import type { DuckDBConnection } from "@duckdb/node-api";
import { layoutsWithLiterals } from "./date-layout-literals.ts";
import { emptyLogError, InputError } from "./input-error.ts";
import { sqlString } from "./sql-text.ts";
import { ZONE_NAME, zoneLayout, zoneNamesSql } from "./zone-names.ts";

/** The fast path: `YYYY-MM-DD`, optionally followed by `T` or a space and a time. */
export const ISO = "%Y-%m-%d";

/**
 * Dates written as numbers, by name instead of a strftime pattern: Unix time (seconds, milli-,
 * micro- or nanoseconds since 1970-01-01 UTC, sniffed), .NET's JSON dates (`/Date(1578268800000)/`,
 * milliseconds, with the writer's offset after them or not; sniffed), spreadsheet serial days
 * (never sniffed: the 1900 and 1904 date systems are four years apart, and nothing in the number
 * tells which), and day numbers counted from a start the user names ("days since 2011-01-01":
 * dunnhumby's DAY column).
 */
const NUMERIC_DATE_FORMATS = [
  "epoch",
  "epoch_ms",
  "epoch_us",
  "epoch_ns",
  "dotnet",
  "excel",
  "excel1904",
] as const;
export type NumericDateFormat = (typeof NUMERIC_DATE_FORMATS)[number] | `days since ${string}`;
const DAYS_SINCE = /^days since (\d{4}-\d{2}-\d{2})$/;
export const isNumericDateFormat = (f: string | null): f is NumericDateFormat =>
  (NUMERIC_DATE_FORMATS as readonly string[]).includes(f ?? "") || DAYS_SINCE.test(f ?? "");

// Unix seconds from 1979 to 2103 have 9 or 10 digits, milliseconds 12 or 13, microseconds (GA4's
// BigQuery export) 15 or 16, nanoseconds (Go, pandas' int64) 18 or 19; serial days from 1927 to
// 2119 have 5. No strftime layout is written as such a bare number.
const EPOCH_RANGES = [
  { format: "epoch", min: 3e8, max: 4.2e9 },
  { format: "epoch_ms", min: 3e11, max: 4.2e12 },
  { format: "epoch_us", min: 3e14, max: 4.2e15 },
  { format: "epoch_ns", min: 3e17, max: 4.2e18 },
] as const;

/** Unix time's units per second, by format; the other numeric formats are days. */
const EPOCH_UNITS: Partial<Record<string, number>> = {
  epoch: 1,
  epoch_ms: 1e3,
  epoch_us: 1e6,
  epoch_ns: 1e9,
};

export const isEpochFormat = (format: string | null): boolean =>
  EPOCH_UNITS[format ?? ""] !== undefined;

/** SQL of the Unix seconds in `n` (a DOUBLE) written in an epoch format. */
export function epochSecondsSql(n: string, format: string): string {
  const units = EPOCH_UNITS[format] ?? 1;
  return units === 1 ? n : `(${n} / ${units})`;
}
const SERIAL_DAYS = { min: 10_000, max: 80_000 };

/** The first day of a numeric format (day 0), as a DuckDB DATE literal; null for Unix time. */
function dayZero(format: NumericDateFormat): string | null {
  if (format === "excel") return "DATE '1899-12-30'";
  if (format === "excel1904") return "DATE '1904-01-01'";
  const since = DAYS_SINCE.exec(format)?.[1];
  return since ? `DATE ${sqlString(since)}` : null;
}

/**
 * A .NET JSON date: ASP.NET's and WCF's DataContractJsonSerializer, and Json.NET's
 * MicrosoftDateFormat, write `/Date(1578268800000)/` (milliseconds since 1970-01-01 UTC), with
 * the writer's UTC offset after them for a local time (`/Date(1578268800000+0100)/`); in JSON
 * text the slashes are escaped, `\/Date(…)\/`, which a CSV written from it keeps.
 */
const DOTNET_TEXT = "\\\\?/Date\\((-?\\d+)([+-]\\d{4})?\\)\\\\?/";

/**
 * SQL of a .NET JSON date as a DATE. The milliseconds are an instant: with --timezone (`zoned`)
 * its day in the shop's zone; else the day where it was written, by the offset after it (the
 * ISO path's reading of a written offset), or the UTC day as for epoch_ms.
 */
function dotnetDateExpression(text: string, zoned: boolean): string {
  const part = (k: number) => `regexp_extract(${text}, ${sqlString(DOTNET_TEXT)}, ${k})`;
  const seconds = `(TRY_CAST(${part(1)} AS BIGINT) / 1000)`;
  const instant = `to_timestamp(${seconds})`;
  const offset = part(2);
  const minutes = `(CASE WHEN left(${offset}, 1) = '-' THEN -1 ELSE 1 END *
    (CAST(substr(${offset}, 2, 2) AS INTEGER) * 60 + CAST(substr(${offset}, 4, 2) AS INTEGER)))`;
  const local = zoned
    ? instant
    : `CASE WHEN ${offset} = '' THEN ${instant} ELSE ${instant} + to_minutes(${minutes}) END`;
  return `CASE WHEN ${seconds} BETWEEN -1e10 AND 1e11 THEN CAST(${local} AS DATE) END`;
}

/**
 * SQL of a date written as a number (a DOUBLE, NULL if it is none). A decimal comma reads as a
 * point (European Excel saves a serial day as `43835,5`); a value with more than one comma stays
 * no number, as before.
 */
export function dateNumberSql(text: string): string {
  return `TRY_CAST(CASE WHEN regexp_full_match(${text}, '[0-9]+,[0-9]+') THEN replace(${text}, ',', '.') ELSE ${text} END AS DOUBLE)`;
}

/**
 * SQL of a numeric date format as a DATE; out-of-range numbers are NULL, never an error. `zoned`:
 * --timezone was given (a .NET date's written offset then gives way to the shop's zone).
 */
export function numericDateExpression(
  text: string,
  format: NumericDateFormat,
  zoned = false,
): string {
  if (format === "dotnet") return dotnetDateExpression(text, zoned);
  const n = dateNumberSql(text);
  const zero = dayZero(format);
  if (zero === null) {
    const seconds = epochSecondsSql(n, format);
    // An instant: its calendar day in the session's time zone (--timezone, else UTC).
    return `CASE WHEN ${seconds} BETWEEN -1e10 AND 1e11 THEN CAST(to_timestamp(${seconds}) AS DATE) END`;
  }
  return `CASE WHEN ${n} BETWEEN -2e6 AND 2e6 THEN ${zero} + CAST(floor(${n}) AS INTEGER) END`;
}

/**
 * Throws when --date-format cannot be read: a "days since …" naming no real day (a typo must not
 * read as NULL dates), or a pattern DuckDB's strptime rejects (asked, so its list of specifiers
 * is the one checked against, and the error names the option rather than the database).
 */
export async function checkDateFormat(
  connection: DuckDBConnection,
  format: string,
  columnName: string,
): Promise<void> {
  if (format.startsWith("days since")) return checkDaysSince(format, columnName);
  if (isNumericDateFormat(format)) return;
  for (const layout of format.split(LAYOUT_SEPARATOR)) {
    const why = await layoutProblem(connection, layout);
    if (why === null) continue;
    throw new InputError(columnName, `--date-format "${format}": not a date pattern (${why})`, {
      hint: "pass a strftime pattern such as '%d/%m/%Y %H:%M', or epoch, excel or 'days since YYYY-MM-DD'",
    });
  }
}

/** What DuckDB's strptime finds wrong with the layout ("Trailing format character %"), or null. */
async function layoutProblem(connection: DuckDBConnection, layout: string): Promise<string | null> {
  try {
    await connection.run(`SELECT try_strptime('', ${sqlString(strptimeFormat(layout))})`);
    return null;
  } catch (error) {
    // "Failed to parse format specifier <layout>: <why>"; the layout itself may hold ": ".
    const marker = `format specifier ${strptimeFormat(layout)}: `;
    const text = String(error);
    if (!text.includes(marker)) throw error;
    return text.slice(text.indexOf(marker) + marker.length);
  }
}

function checkDaysSince(format: string, columnName: string): void {
  const since = DAYS_SINCE.exec(format)?.[1];
  const day = since ? new Date(`${since}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== since) {
    throw new InputError(columnName, `--date-format "${format}": not a day to count from`, {
      hint: "pass --date-format 'days since YYYY-MM-DD' with the day that day number 0 stands for",
    });
  }
}

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
  // Year first with two digits (Japanese and Korean short dates, 22/01/20): without them every
  // such value also read as %d/%m/%y, and a log of 2022–2023 came out as 2001–2026.
  "%y/%m/%d",
  "%y.%m.%d",
  "%d-%b-%Y",
  "%d %b %Y",
  "%b %d %Y",
  "%d-%b-%y",
  // Written out, as spreadsheets' long dates, site builders and JavaScript's toDateString do.
  "%b %d, %Y",
  "%B %d, %Y",
  "%B %d %Y",
  "%d %B %Y",
  "%A, %B %d, %Y",
  "%a %b %d %Y",
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
  " %H:%M:%S %z",
];

/**
 * Dashes with a two-digit year (`2-1-22`), in each order so that the ambiguity rules apply to
 * them, with the usual times only: each layout tried costs the sniff of every non-ISO column.
 */
const DASHED_SHORT_YEAR = ["%m-%d-%y", "%d-%m-%y", "%y-%m-%d"];
const DASHED_SHORT_YEAR_TIMES = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p"];

/**
 * Layouts with the time zone by name (%Z, zone-names.ts) or the year after the time: JavaScript's
 * toString (`Tue Mar 05 2024 14:30:00 GMT-0500 (Eastern Standard Time)`), toUTCString and HTTP
 * (`Tue, 05 Mar 2024 19:30:00 GMT`), Unix `date` and Java's Date (`Tue Mar  5 14:30:00 EST 2024`),
 * C's and Python's ctime (`Tue Mar  5 14:30:00 2024`), and numeric dates with a zone name after.
 */
const ZONE_FORMATS = [
  "%a %b %d %Y %H:%M:%S %Z",
  "%a, %d %b %Y %H:%M:%S %Z",
  "%a, %d %b %Y %H:%M %Z",
  "%a %b %d %H:%M:%S %Z %Y",
  "%a %b %d %H:%M:%S %Y",
  ...["%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%b %d, %Y"].flatMap((d) =>
    [" %H:%M:%S %Z", " %H:%M %Z", " %I:%M:%S %p %Z", " %I:%M %p %Z"].map((t) => d + t),
  ),
];

/**
 * JavaScript's toLocaleString (en-US, en-GB, de-DE) and Intl's medium style (`Jan 5, 2020, 11:30:00
 * PM`): a comma between the date and the time.
 */
const LOCALE_STRING_FORMATS = [
  "%m/%d/%Y, %I:%M:%S %p",
  "%d/%m/%Y, %H:%M:%S",
  "%d.%m.%Y, %H:%M:%S",
  "%b %d, %Y, %I:%M:%S %p",
  "%b %d, %Y, %I:%M %p",
];

/**
 * Databases' default text layouts: SQL Server's CONVERT style 100 (`Jan  2 2022  1:41PM`),
 * Oracle's TIMESTAMP (`02-JAN-22 01.41.00.000000 PM`, 6 or 9 fraction digits), and the digits
 * of a datetime without separators (`20220102134100`, as MySQL's and many loggers' compact forms).
 */
const DATABASE_FORMATS = [
  "%b %d %Y %I:%M%p",
  "%d-%b-%y %I.%M.%S.%n %p",
  "%Y%m%d%H%M%S",
  "%Y%m%d%H%M",
];

/**
 * ISO 8601's basic format with a time (`20200105T233000Z`, `20200105T2330+0100`, as iCalendar,
 * AWS and many loggers write it): read on the ISO path, rewritten by isoExtendedSql. A column of
 * such values (and basic days without a time, `20200105`, among them) is ISO; one of basic days
 * alone is %Y%m%d, as before.
 */
const BASIC_TEXT = "\\d{8}T\\d{2}(\\d{2}(\\d{2}([.,]\\d+)?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?";

/**
 * SQL: a date in ISO 8601's basic format (BASIC_TEXT or BASIC_DAY) in the extended one
 * (`20200105T2330+0100` → `2020-01-05T23:30+0100`); NULL for any other text.
 */
export function isoExtendedSql(text: string): string {
  const basic = `${BASIC_TEXT}|${BASIC_DAY}`;
  const day = `regexp_replace(${text}, '^(\\d{4})(\\d{2})(\\d{2})', '\\1-\\2-\\3')`;
  // Minutes and seconds after a colon each; an hour alone gets its minutes.
  const minutes = `regexp_replace(${day}, '^(.{10}T\\d{2})(\\d{2})', '\\1:\\2')`;
  const seconds = `regexp_replace(${minutes}, '^(.{10}T\\d{2}:\\d{2})(\\d{2})', '\\1:\\2')`;
  const hour = `regexp_replace(${seconds}, '^(.{10}T\\d{2})(Z|[+-]|$)', '\\1:00\\2')`;
  const fraction = `replace(${hour}, ',', '.')`;
  return `CASE WHEN regexp_full_match(${text}, ${sqlString(basic)}) THEN ${fraction} END`;
}

/** Every pattern tried when --date-format is not given. */
export const CANDIDATE_FORMATS = [
  ...DATE_PARTS.flatMap((d) => TIME_PARTS.map((t) => d + t)),
  ...DASHED_SHORT_YEAR.flatMap((d) => DASHED_SHORT_YEAR_TIMES.map((t) => d + t)),
  ...ZONE_FORMATS,
  ...LOCALE_STRING_FORMATS,
  ...DATABASE_FORMATS,
];

/**
 * `%N` in a layout: a month's name or abbreviation in German, French, Spanish, Italian, Portuguese,
 * Dutch or English (`5. Januar 2023`, `5 janv. 2023`, `5 de enero de 2023`). DuckDB's strptime knows
 * English names only, so such a value is rewritten with English abbreviations first.
 */
const ANY_LANGUAGE_MONTH = "%N";

/** Names and abbreviations (lower case, by spaces) by the English abbreviation they become. */
const MONTH_NAMES: Record<string, string> = {
  jan: "january januar jänner jän janvier janv enero ene gennaio gen janeiro januari",
  feb: "february februar feber février fevrier févr fevr febrero febbraio fevereiro fév fev februari",
  mar: "march märz maerz mär mrz mars marzo março marco maart mrt",
  apr: "april avril avr abril abr aprile",
  may: "mai mayo maggio mag maio mei",
  jun: "june juni juin junio giugno giu junho",
  jul: "july juli juillet juil julio luglio lug julho",
  aug: "august août aout agosto ago augustus",
  sep: "september septembre septiembre settembre setembro sept set",
  oct: "october oktober okt octobre octubre ottobre ott outubro out",
  nov: "november novembre noviembre novembro",
  dec: "december dezember dez décembre decembre déc diciembre dic dicembre dezembro",
};

/**
 * Weekday names a long date may start with (`Donnerstag, 5. Januar 2023`, `jeudi 5 janvier 2023`),
 * in the same languages: they say nothing the day does not, so they are left out. Abbreviations
 * only with their dot or comma, and never `mar` (Tuesday in French, Spanish and Italian, but also
 * March): `Mar. 5, 2023` stays a date in March.
 */
const WEEKDAY_NAMES =
  "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag " +
  "lundi mardi mercredi jeudi vendredi samedi dimanche " +
  "lunes martes miércoles miercoles jueves viernes sábado sabado domingo " +
  "lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi sabato domenica " +
  "segunda-feira terça-feira terca-feira quarta-feira quinta-feira sexta-feira " +
  "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag " +
  "monday tuesday wednesday thursday friday saturday sunday";
const WEEKDAY_ABBREVIATIONS =
  "mo di mi do fr sa so lun mer jeu ven sam dim mié mie jue vie sáb sab dom gio " +
  "seg ter qua qui sex ma wo vr za zo mon tue tues wed thu thur thurs fri sat sun";

/** A regular expression's alternation of the words, longest first (so "janv" wins over "jan"). */
const alternation = (words: string[]) => [...words].sort((a, b) => b.length - a.length).join("|");

/** SQL: `lowered` without a leading weekday name (RE2's \b is ASCII only: spaces delimit it). */
function withoutWeekdaySql(lowered: string): string {
  const full = `(${alternation(WEEKDAY_NAMES.split(" "))})[.,]*`;
  const short = `(${alternation(WEEKDAY_ABBREVIATIONS.split(" "))})[.,]+`;
  return `regexp_replace(${lowered}, '^\\s*(${full}|${short})\\s+', '')`;
}

/**
 * SQL of the text `value` with month names in any of those languages as English abbreviations,
 * a leading weekday name, the Spanish and Portuguese "de" and the French "1er" left out:
 * `jueves, 5 de enero de 2023` → `5 jan 2023`.
 */
function monthNamesSql(value: string): string {
  let sql = withoutWeekdaySql(`lower(${value})`);
  for (const [english, names] of Object.entries(MONTH_NAMES)) {
    // The English abbreviation too, so its dot goes as well ("Jan." → "jan").
    const words = alternation([...names.split(" "), english]);
    sql = `regexp_replace(${sql}, '\\b(${words})\\b\\.?', '${english}', 'g')`;
  }
  sql = `regexp_replace(${sql}, '(\\d)er\\b', '\\1', 'g')`;
  sql = `regexp_replace(${sql}, '\\s+(de|del)\\s+', ' ', 'g')`;
  return `trim(regexp_replace(${sql}, '\\s+', ' ', 'g'))`;
}

/**
 * The layout strptime is given: `%N` becomes `%b` (the value's names rewritten to English), `%Z`
 * leaves (the value's zone moved to its end, `%z` there when `keepZone`).
 */
function strptimeFormat(format: string, keepZone = false): string {
  const english = format.replaceAll(ANY_LANGUAGE_MONTH, "%b");
  return english.includes(ZONE_NAME) ? zoneLayout(english, keepZone) : english;
}

/**
 * SQL: `text` read with `format`, or NULL. DuckDB's %Y also takes a year of one or two digits
 * ("1/1/24" → 0024-01-01): such a layout would tie with %y, the right one, and read every row as
 * before 1970. No log has dates before the year 1000, so %Y reads only those from it.
 */
function strptimeSql(text: string, format: string, keepZone = false): string {
  const parsed = `try_strptime(${text}, ${sqlString(strptimeFormat(format, keepZone))})`;
  return format.includes("%Y") ? `CASE WHEN year(${parsed}) >= 1000 THEN ${parsed} END` : parsed;
}

/**
 * SQL: the text `value` read with `format` as a TIMESTAMP, or NULL (`%N` and `%Z` formats
 * rewritten first). `keepZone`: a `%Z` zone's offset kept (a TIMESTAMPTZ), else the time as written.
 */
export function parsedSql(value: string, format: string, keepZone = false): string {
  // The zone first: month names are rewritten lower-cased, and zone names are upper case.
  const zoned = format.includes(ZONE_NAME) ? zoneNamesSql(value, keepZone) : value;
  const text = format.includes(ANY_LANGUAGE_MONTH) ? monthNamesSql(zoned) : zoned;
  return strptimeSql(text, format, keepZone);
}

/** Layouts with month names in other languages: tried for the values no other layout reads. */
const ANY_LANGUAGE_CANDIDATES = [
  "%d %N %Y",
  "%d. %N %Y",
  "%d-%N-%Y",
  "%d %N %y",
  "%d-%N-%y",
  "%N %d, %Y",
  "%N %d %Y",
  "%d/%N/%Y",
].flatMap((d) => TIME_PARTS.map((t) => d + t));
/** Those without month, weekday or zone names (%b, %B, %a, %A, %Z). */
const NUMERIC_CANDIDATES = CANDIDATE_FORMATS.filter((f) => !/%[aAbBZ]/.test(f));

/**
 * Three letters in a row in any alphabet (Jan, Jän, janv, мар): month and weekday names. Any
 * character past ASCII counts as a letter: RE2 compiles \pL in about 7 ms a query, this in under
 * 1, and a symbol taken for a letter only has layouts with names tried too.
 */
const WORD = "[A-Za-z\\x{80}-\\x{10FFFF}]{3}";
const ISO_TEXT = "\\d{4}-\\d{2}-\\d{2}([T ].*)?";
/** A day without a time in ISO 8601's basic format, which %Y%m%d reads as well. */
const BASIC_DAY = "\\d{8}";
/** A bare number: a decimal point or comma (serial days), an exponent (Java's `1.5782688E9`). */
const NUMBER_TEXT = "\\d+([.,]\\d+)?([eE][+-]?\\d+)?";
/** Rows of the column sampled: its first ones (utc-days.ts looks at the same rows). */
export const DATE_SAMPLE_ROWS = 20_000;
const SAMPLE = DATE_SAMPLE_ROWS;

interface Sample {
  size: number;
  allIso: boolean;
  /** Every value a bare number: its range, else null. */
  numbers: { min: number; max: number } | null;
  first: string;
  /** Some value holds a word (a month or weekday name): else layouts with names are not tried. */
  words: boolean;
  /** The row number (rowid) of the first sampled value, for messages. */
  firstRow: number;
  /** Every value a clock time written hhmm (dunnhumby's TRANS_TIME 1631): no date. */
  clock: boolean;
  /** Every value a .NET JSON date (`/Date(1578268800000)/`). */
  dotnet: boolean;
  /** Some value of the column's first SAMPLE rows holds a ':' (a time of day). */
  colonInFirstRows: boolean;
}

/** A time of day as hhmm, hmm or mm (0 to 2359, minutes below 60). */
const CLOCK_TEXT = "([01]?[0-9]|2[0-3])?[0-5]?[0-9]";

/** Copies the first non-empty values of the column to table date_sample(v). */
async function sampleValues(
  connection: DuckDBConnection,
  table: string,
  column: string,
): Promise<Sample> {
  // rn counts the scan's rows (the first rows of a file scan come in order).
  const numbered = (rows: number) =>
    `SELECT row_number() OVER () - 1 AS rn, trim(CAST(${column} AS VARCHAR)) AS v
     FROM (SELECT ${column} FROM ${table} LIMIT ${rows}) AS head`;
  const headSql = `SELECT count(*) AS size, count(*) FILTER (WHERE v IS NULL OR v = '') AS empty,
       bool_and(regexp_full_match(v, ${sqlString(`${ISO_TEXT}|${BASIC_TEXT}|${BASIC_DAY}`)}))
         AND NOT bool_and(regexp_full_match(v, ${sqlString(BASIC_DAY)})) AS iso,
       arg_min(v, rn) AS first, min(rn) AS first_row, bool_or(contains(v, ':')) AS colon
     FROM date_sample`;
  // The first SAMPLE rows, when none is empty, are the sample the wider read below keeps (the
  // scan's first non-empty values): read alone they cost ~6 ms, the wider read ~8.
  await connection.run(`CREATE OR REPLACE TABLE date_sample AS ${numbered(SAMPLE)}`);
  let head = await oneRow(connection, headSql);
  // Of the first SAMPLE rows, before the sample is widened past empty values.
  const colonInFirstRows = head.colon === true;
  if (Number(head.empty) > 0) {
    await connection.run(
      `CREATE OR REPLACE TABLE date_sample AS SELECT rn, v FROM (${numbered(SAMPLE * 5)}) AS numbered
       WHERE v IS NOT NULL AND v <> '' LIMIT ${SAMPLE}`,
    );
    head = await oneRow(connection, headSql);
  }
  const sample = {
    size: Number(head.size),
    allIso: head.iso === true,
    first: String(head.first ?? ""),
    firstRow: Number(head.first_row ?? 0),
    colonInFirstRows,
  };
  // ISO dates (the usual case) need nothing more: the casts and patterns below cost ~6 ms.
  if (sample.size === 0 || sample.allIso) {
    return { ...sample, numbers: null, words: false, clock: false, dotnet: false };
  }
  const shape = await oneRow(
    connection,
    `SELECT bool_and(regexp_full_match(v, ${sqlString(NUMBER_TEXT)})) AS numeric,
       min(${dateNumberSql("v")}) AS min, max(${dateNumberSql("v")}) AS max,
       bool_or(regexp_matches(v, ${sqlString(WORD)})) AS words,
       bool_and(regexp_full_match(v, ${sqlString(CLOCK_TEXT)})) AS clock,
       bool_and(regexp_full_match(v, ${sqlString(DOTNET_TEXT)})) AS dotnet FROM date_sample`,
  );
  return {
    ...sample,
    numbers: shape.numeric === true ? { min: Number(shape.min), max: Number(shape.max) } : null,
    words: shape.words === true,
    clock: shape.clock === true,
    dotnet: shape.dotnet === true,
  };
}

async function oneRow(connection: DuckDBConnection, sql: string) {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS()[0] as Record<string, unknown>;
}

/** Values from which parsedCounts groups them (fewer: the larger query's planning costs more). */
const DISTINCT_FROM = 1_000;

/**
 * How many values each format parses (one query, all formats side by side). `distinct`: each
 * distinct value parsed once and counted as often as it occurs. A sample's 20,000 values are a few
 * hundred days in a log of dates, or of order lines sharing their order's time, and the hundred
 * or more layouts' parsing was most of a non-ISO read's fixed cost (200,000 order lines: 1.7 s
 * → 0.3 s a read). The grouped values are also parsed on every core, where a 20,000-row table is
 * one row group, read by one (distinct datetimes: 1.8 s → 1.1 s).
 */
async function parsedCounts(
  connection: DuckDBConnection,
  from: string,
  column: string,
  formats: string[],
  distinct = false,
): Promise<number[]> {
  const values = `SELECT ${column} AS v FROM ${from}`;
  if (distinct) {
    return timesParsed(
      connection,
      `SELECT v, count(*) AS times FROM (${values}) GROUP BY v`,
      formats,
    );
  }
  return countsOf(connection, values, formats, (parsed) => `count(${parsed})`);
}

/** How many of `rows`' values (v, read `times` times each) each format parses. */
function timesParsed(connection: DuckDBConnection, rows: string, formats: string[]) {
  const count = (parsed: string) => `sum(CASE WHEN ${parsed} IS NULL THEN 0 ELSE times END)`;
  return countsOf(connection, rows, formats, count);
}

/** From this many layouts, countsOf first leaves out those whose literals no value holds. */
const PRUNE_FROM = 16;

/**
 * One query: `count(parsed)` of each format over `rows` (text column v); 0 for a layout with a
 * literal character no value holds (date-layout-literals.ts), which is then not parsed.
 */
async function countsOf(
  connection: DuckDBConnection,
  rows: string,
  all: string[],
  count: (parsed: string) => string,
): Promise<number[]> {
  if (all.length === 0) return [];
  const readable =
    all.length >= PRUNE_FROM
      ? await layoutsWithLiterals(connection, rows, all)
      : all.map(() => true);
  const formats = all.filter((_, i) => readable[i]);
  if (formats.length === 0) return all.map(() => 0);
  // Month names are rewritten once per value, not once per layout.
  const anyLanguage = formats.some((f) => f.includes(ANY_LANGUAGE_MONTH));
  const zoned = formats.some((f) => f.includes(ZONE_NAME));
  const counts = formats
    .map((f, i) => {
      const value = f.includes(ANY_LANGUAGE_MONTH) ? "n" : f.includes(ZONE_NAME) ? "z" : "v";
      return `${count(strptimeSql(value, f))} AS c${i}`;
    })
    .join(", ");
  const n =
    (anyLanguage ? `, ${monthNamesSql("v")} AS n` : "") +
    (zoned ? `, ${zoneNamesSql("v", false)} AS z` : "");
  const reader = await connection.runAndReadAll(
    `SELECT ${counts} FROM (SELECT *${n} FROM (${rows}))`,
  );
  const row = reader.getRowObjectsJS()[0] as Record<string, bigint | number>;
  let c = 0;
  return all.map((_, i) => (readable[i] ? Number(row[`c${c++}`]) : 0));
}

/** Distinct values the layouts are first tried on, in bestParsedCounts. */
const PROBE_VALUES = 1_000;

/**
 * What best() needs of parsedCounts(…, distinct): the counts of the layouts that read the most
 * values, exact; a layout that cannot reach them is left out (0) without parsing every value.
 * Each layout is first tried on PROBE_VALUES of the distinct values: one that leaves k of their
 * rows unread reads at most total − k rows. Then the best ones on the probe are counted on all the
 * values, and of the rest only those that could still reach them. A sample of 20,000 distinct
 * datetimes with a few "not a date" among them (so not all ISO) parsed each of ~140 layouts on
 * every value, 2.9 s of a 2,000,000-row read; the layouts that fail on the probe are now dropped.
 */
async function bestParsedCounts(
  connection: DuckDBConnection,
  from: string,
  formats: string[],
): Promise<number[]> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE date_values AS
     SELECT v, count(*) AS times, row_number() OVER () AS i FROM ${from} GROUP BY v`,
  );
  const { total, probed } = await oneRow(
    connection,
    `SELECT sum(times) AS total, sum(times) FILTER (WHERE i <= ${PROBE_VALUES}) AS probed
     FROM date_values`,
  );
  const all = "SELECT v, times FROM date_values";
  const probe = await timesParsed(connection, `${all} WHERE i <= ${PROBE_VALUES}`, formats);
  // At most this many rows read: all but those the probe saw it leave unread.
  const bound = probe.map((c) => Number(total) - (Number(probed) - c));
  const top = Math.max(0, ...probe);
  const leaders = formats.filter((_, i) => probe[i] === top);
  const counts = new Map<string, number>();
  const count = async (chosen: string[]) => {
    const found = await timesParsed(connection, all, chosen);
    for (const [i, f] of chosen.entries()) counts.set(f, found[i] ?? 0);
  };
  await count(leaders);
  const reached = Math.max(0, ...counts.values());
  await count(formats.filter((f, i) => !counts.has(f) && (bound[i] ?? 0) >= reached));
  return formats.map((f) => counts.get(f) ?? 0);
}

/** Unix time when every value is a bare number in its range. */
function epochFormat(sample: Sample): NumericDateFormat | null {
  if (!sample.numbers) return null;
  const { min, max } = sample.numbers;
  return EPOCH_RANGES.find((r) => min >= r.min && max <= r.max)?.format ?? null;
}

/** Bare numbers no layout reads: say what they may be and what to pass. */
function bareNumberError(sample: Sample, columnName: string, where: string): InputError {
  const { min, max } = sample.numbers as { min: number; max: number };
  // Clock times once the afternoon shows (so day numbers 1–711 are not taken for them).
  const clock = sample.clock && max >= 1000;
  if ((max < SMALL_NUMBER && max - min < MIN_DAY_NUMBER_SPAN) || clock) {
    return notDatesError(sample, columnName, where, clock);
  }
  const serial = min >= SERIAL_DAYS.min && max <= SERIAL_DAYS.max;
  return new InputError(
    columnName,
    `${where}: date "${sample.first}" in column "${columnName}" is a bare number` +
      (serial ? " (a spreadsheet's serial day?)" : ""),
    {
      hint: serial
        ? "pass --date-format excel (days since 1899-12-30, Excel on Windows) or --date-format excel1904 (days since 1904-01-01, old Excel for Mac)"
        : "pass --date-format epoch (Unix seconds), epoch_ms (milliseconds), epoch_us (microseconds), epoch_ns (nanoseconds), excel (serial days), 'days since YYYY-MM-DD' (day numbers from a start, the date given being day 0) or a strftime pattern such as '%Y%m%d'",
    },
  );
}

/**
 * Small numbers spanning less than this, or clock times, are no day numbers of a log worth
 * modelling: a count such as Instacart's days_since_prior_order (0–30), an hour or a weekday.
 * Read as 'days since' a start, as the hint used to offer, they put every order in one month and
 * trained a model on it.
 */
const MIN_DAY_NUMBER_SPAN = 60;
/** Below a year's days: no Unix time, serial day or YYYYMMDD is this small. */
const SMALL_NUMBER = 400;

/** Bare numbers that are no dates at all: small counts, or clock times (`clock`). */
function notDatesError(
  sample: Sample,
  columnName: string,
  where: string,
  clock: boolean,
): InputError {
  const { min, max } = sample.numbers as { min: number; max: number };
  const what = clock
    ? "clock times written hhmm (1631 is 16:31)"
    : "a count or a part of a date (days since the previous order, an hour, a weekday)";
  return new InputError(
    columnName,
    `${where}: date "${sample.first}" in column "${columnName}" is a bare number, and the column's ` +
      `numbers (${min} to ${max}) are ${what}, not purchase dates`,
    {
      hint: clock
        ? "pass --date-col naming the column that holds each purchase's date"
        : "pass --date-col naming the column that holds each purchase's date; days since a customer's previous order " +
          "(Instacart's days_since_prior_order) are no dates: added up per customer they are day numbers, read with " +
          "--date-format 'days since YYYY-MM-DD' (each customer's first order then falls on that day); " +
          `a --query over the file adds them up: --query 'SELECT *, sum(coalesce(CAST("${columnName}" AS INTEGER), 0)) ` +
          "OVER (PARTITION BY <customer column> ORDER BY CAST(<order number column> AS INTEGER)) AS day FROM <file name>' --date-col day" +
          (max === 30
            ? "; but a column whose largest value is 30 (Instacart's) writes 30 for any gap of 30 days or more: its sums shorten the longer gaps, and every recency and age with them"
            : ""),
    },
  );
}

/** The date part of a candidate layout ("%m/%d/%Y %H:%M" → "%m/%d/%Y"). */
const datePart = (format: string) =>
  [...DATE_PARTS, ...DASHED_SHORT_YEAR].find(
    (d) => format.startsWith(d) && TIME_PARTS.includes(format.slice(d.length)),
  ) ?? format;

/**
 * Of tied layouts, those whose date part a chosen layout has, if any: a column whose values with
 * a time read month first (%m/%d/%Y %H:%M) writes those without one month first too.
 */
function sameDateParts(tied: { top: number; formats: string[] }, chosen: string[]) {
  const known = new Set(chosen.map(datePart));
  const kept = tied.formats.filter((f) => known.has(datePart(f)));
  return kept.length > 0 ? { ...tied, formats: kept } : tied;
}

/** Layouts a column may combine: exports joined, one re-saved by a spreadsheet, one per system. */
const MAX_LAYOUTS = 3;

/** How a format is named when a column combines several: each value read by the first that can. */
export const LAYOUT_SEPARATOR = " or ";

/** SQL: true when none of `formats` reads the text `value`. */
const unreadBy = (value: string, formats: string[]) =>
  formats.map((f) => `${parsedSql(value, f)} IS NULL`).join(" AND ") || "true";

/** True when no value of the column is read by two of the formats as different days. */
async function agree(
  connection: DuckDBConnection,
  from: string,
  column: string,
  formats: string[],
): Promise<boolean> {
  const day = (f: string) => `CAST(${parsedSql(column, f)} AS DATE)`;
  const pairs = formats.flatMap((f, i) =>
    formats.slice(i + 1).map((g) => `${day(f)} <> ${day(g)}`),
  );
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM ${from} WHERE ${pairs.join(" OR ")}`,
  );
  return Number((reader.getRowObjectsJS()[0] as { n: bigint }).n) === 0;
}

const best = (formats: string[], counts: number[]) => {
  const top = Math.max(0, ...counts);
  return { top, formats: formats.filter((_, i) => counts[i] === top && top > 0) };
};

/** No date to sniff: a log without rows below its header, or a date column empty in each. */
async function noDates(connection: DuckDBConnection, { table, columnName, source }: DateColumn) {
  // One row is enough to know: the log may be large and this is only for the message.
  const rows = await oneRow(
    connection,
    `SELECT count(*) AS n FROM (SELECT 1 FROM ${table} LIMIT 1)`,
  );
  if (Number(rows.n) === 0) return emptyLogError(source);
  return new InputError(columnName, `the date column "${columnName}" is empty in every row`, {
    hint: "pass --date-col naming the column that holds the purchase date",
  });
}

/** What the date sniffer found: the format, and whether the first rows hold a time of day. */
export interface SniffedDates {
  format: string;
  /** Some value of the column's first DATE_SAMPLE_ROWS rows holds a ':'. */
  colonInFirstRows: boolean;
}

/**
 * The date format of a text column: ISO when every sampled value is ISO-like, else the one
 * strftime pattern that parses the most values. `describe(row)` turns a row number into
 * "line N" for messages.
 */
export async function sniffDateFormat(
  connection: DuckDBConnection,
  date: DateColumn,
  describe: (rowid: number) => Promise<string>,
): Promise<string> {
  return (await sniffDates(connection, date, describe)).format;
}

/** sniffDateFormat, and what its sample says of times of day (utc-days.ts skips on it). */
export async function sniffDates(
  connection: DuckDBConnection,
  date: DateColumn,
  describe: (rowid: number) => Promise<string>,
): Promise<SniffedDates> {
  const sample = await sampleValues(connection, date.table, date.column);
  const format = await formatOfSample(connection, date, sample, describe);
  return { format, colonInFirstRows: sample.colonInFirstRows };
}

async function formatOfSample(
  connection: DuckDBConnection,
  date: DateColumn,
  sample: Sample,
  describe: (rowid: number) => Promise<string>,
): Promise<string> {
  const { columnName } = date;
  if (sample.size === 0) throw await noDates(connection, date);
  if (sample.allIso) return ISO;
  const epoch = epochFormat(sample);
  if (epoch) return epoch;
  if (sample.dotnet) return "dotnet";
  const layouts = await chooseLayouts(connection, date, sample, []);
  if (layouts.length > 0) return layouts.join(LAYOUT_SEPARATOR);
  const where = await describe(sample.firstRow);
  if (sample.numbers) throw bareNumberError(sample, columnName, where);
  throw new InputError(
    columnName,
    `${where}: date "${sample.first}" in column "${columnName}" matches none of the known layouts`,
    { hint: "pass --date-format with its strftime pattern, e.g. --date-format '%d/%m/%Y %H:%M'" },
  );
}

/** The date column being sniffed: the table it is in, as SQL and as named to the user. */
export interface DateColumn {
  table: string;
  column: string;
  columnName: string;
  /** The log's name for messages (its file, table or query). */
  source?: string;
  /** The last day a purchase can be on (YYYY-MM-DD): of layouts that tie, one reading none later wins. */
  latest?: string;
}

/** `chosen` and the layouts that read the values of date_sample they leave unread (see nextLayout). */
async function chooseLayouts(
  connection: DuckDBConnection,
  date: DateColumn,
  sample: Pick<Sample, "words" | "first">,
  chosen: string[],
): Promise<string[]> {
  // Month and weekday names cost a third of the candidates' parsing: only for values with words.
  const candidates = sample.words ? CANDIDATE_FORMATS : NUMERIC_CANDIDATES;
  const layouts = [...chosen];
  // Month names in other languages last, for what no other layout reads: rewriting them costs.
  for (const phase of sample.words ? [candidates, ANY_LANGUAGE_CANDIDATES] : [candidates]) {
    while (layouts.length < MAX_LAYOUTS) {
      const next = await nextLayout(connection, date, sample.first, {
        candidates: phase.filter((f) => !layouts.includes(f)),
        chosen: layouts,
      });
      if (next === null) break;
      layouts.push(next);
    }
  }
  return layouts;
}

/**
 * The sniffed layouts, and more for the values they left unread past the sample (table lines'
 * unread_date): exports joined, the second re-saved by a spreadsheet, start after the sample.
 * The same layouts when none reads those values.
 */
export async function moreDateLayouts(
  connection: DuckDBConnection,
  date: DateColumn,
  format: string,
): Promise<string> {
  if (isNumericDateFormat(format)) return format;
  const unread = `SELECT unread_date FROM lines WHERE unread_date IS NOT NULL LIMIT ${SAMPLE}`;
  // Read from the sample's rows themselves: usually every date was read, and the copy below
  // (one query more, about 1 ms of a small log's read) is made only when some were not.
  const reader = await connection.runAndReadAll(
    `SELECT min(unread_date) AS first,
       bool_or(regexp_matches(unread_date, ${sqlString(WORD)})) AS words FROM (${unread})`,
  );
  const row = reader.getRowObjectsJS()[0] as { first: string | null; words: boolean | null };
  if (row.first === null) return format;
  await connection.run(
    `CREATE OR REPLACE TABLE date_sample AS SELECT row_number() OVER () - 1 AS rn, unread_date AS v
     FROM (${unread})`,
  );
  const sample = { first: row.first, words: row.words === true };
  const chosen = format.split(LAYOUT_SEPARATOR);
  return (await chooseLayouts(connection, date, sample, chosen)).join(LAYOUT_SEPARATOR);
}

/**
 * The layout that reads the most sampled values the chosen ones leave unread (several tied: the
 * whole column decides), or null when none reads any, or when it would read a value as another day
 * than a chosen one does (01/02/2020 as %m/%d/%Y beside %d/%m/%Y: left unread rather than guessed).
 */
async function nextLayout(
  connection: DuckDBConnection,
  { table, column, columnName, latest }: DateColumn,
  first: string,
  { candidates, chosen }: { candidates: string[]; chosen: string[] },
): Promise<string | null> {
  const unread = `(SELECT v FROM date_sample WHERE ${unreadBy("v", chosen)})`;
  // Every sampled value read: no layout to look for (and no query of hundreds of them to plan).
  const unreadValues = Number((await oneRow(connection, `SELECT count(*) AS n FROM ${unread}`)).n);
  if (unreadValues === 0) return null;
  // A few values: planning the query costs more than parsing them twice.
  const distinct = unreadValues >= DISTINCT_FROM;
  const counts = distinct
    ? await bestParsedCounts(connection, unread, candidates)
    : await parsedCounts(connection, unread, "v", candidates);
  const onSample = sameDateParts(best(candidates, counts), chosen);
  if (onSample.formats.length === 0) return null;
  let next = onSample.formats[0] as string;
  const text = `trim(CAST(${column} AS VARCHAR))`;
  if (onSample.formats.length > 1) {
    // Several fit the sample (e.g. only days <= 12 so far): let the whole column decide.
    const rest = `(SELECT * FROM ${table} WHERE ${unreadBy(text, chosen)})`;
    const counts = await parsedCounts(connection, rest, text, onSample.formats);
    const onColumn = best(onSample.formats, counts);
    // Tied layouts that never read one value as two days are one answer ("5 May 2023": %b and
    // %B), or read different values (ISO dates and 01/15/2020 in one column).
    if (onColumn.formats.length > 1 && !(await agree(connection, rest, text, onColumn.formats))) {
      const plausible = await noneAfter(connection, rest, text, onColumn.formats, latest);
      const [only] = plausible;
      if (only !== undefined && plausible.length === 1) {
        return agreeing(connection, table, text, chosen, only);
      }
      throw new InputError(
        columnName,
        `column "${columnName}" is ambiguous: dates such as "${first}" read as ` +
          `${onColumn.formats.join(" or as ")}, each a different day`,
        {
          hint: `pass --date-format with the one that is meant, e.g. --date-format '${onColumn.formats[0]}'`,
        },
      );
    }
    next = onColumn.formats[0] ?? next;
  }
  return agreeing(connection, table, text, chosen, next);
}

/** `next`, or null when it would read a value as another day than a chosen layout does. */
async function agreeing(
  connection: DuckDBConnection,
  table: string,
  text: string,
  chosen: string[],
  next: string,
): Promise<string | null> {
  if (chosen.length > 0 && !(await agree(connection, table, text, [...chosen, next]))) return null;
  return next;
}

/**
 * Of layouts that read the same values as different days, those that read none after `latest`
 * (the last day a purchase can be on): "26/12/21" is a day of 2021 as %d/%m/%y, of 2026-12-21 as
 * %y/%m/%d. All of them when `latest` is not known.
 */
async function noneAfter(
  connection: DuckDBConnection,
  from: string,
  column: string,
  formats: string[],
  latest: string | undefined,
): Promise<string[]> {
  if (latest === undefined) return formats;
  const after = formats.map(
    (f, i) =>
      `count(*) FILTER (WHERE CAST(${parsedSql(column, f)} AS DATE) > DATE ${sqlString(latest)}) AS f${i}`,
  );
  const row = await oneRow(connection, `SELECT ${after.join(", ")} FROM ${from}`);
  return formats.filter((_, i) => Number(row[`f${i}`]) === 0);
}
