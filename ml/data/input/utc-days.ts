// Instants cut into days in UTC. Without --timezone, a date column that holds instants (Parquet's
// TIMESTAMP WITH TIME ZONE and PostgreSQL's timestamptz, both read as UTC text "…+00"; Unix
// seconds or milliseconds; text written in UTC: "…Z", "…+00:00", "… UTC"; times without an offset
// in a column named UTC) is read as UTC days. For a New York shop, whose evening purchases are the
// next day in UTC, 213 of 283 customers had their purchase days moved a day later, and nothing was
// said. Text written with the shop's own offset ("… -0500") is read as written, the shop's day,
// and is not named here.

import type { DuckDBConnection } from "@duckdb/node-api";
import { DATE_SAMPLE_ROWS, dateNumberSql, epochSecondsSql, isEpochFormat } from "./date-format.ts";
import { columnText, sqlString } from "./sql-text.ts";

/** What the data account says about a date column read as UTC days. */
export interface UtcDays {
  column: string;
  /** "epoch" (Unix seconds, milli-, micro- or nanoseconds) or "utc" (timestamps with a zone, text in UTC). */
  kind: "epoch" | "utc";
  /** Purchase and return lines with a time of day (an instant at midnight UTC is a date). */
  rows: number;
  /** The share of them between 00:00 and 05:00 UTC. */
  night_share: number;
  /** The first hour (UTC) of the five-hour window with the fewest of them: the shop's night. */
  quiet_from: number;
  /** Whether the hours say the shop is not in UTC (its night is not 00:00–05:00 UTC). */
  not_utc: boolean;
}

/** A time after the date: its hour (1–2 digits) and minutes. */
const TIME = "[T ]([0-9]{1,2}):([0-9]{2})";
/** An offset of zero or a UTC zone word at the end: "Z", "+00", "+0000", "+00:00", " UTC", " GMT". */
const ZERO_OFFSET = "(?i:(Z|[+-]00(:?00)?|\\s(UTC|GMT|Z)))$";
/** A time of exactly midnight. */
const MIDNIGHT = "[T ]0{1,2}:00(:00(\\.0+)?)?([^0-9:.]|$)";
/** Any offset or zone word after a time. */
const ANY_OFFSET = `${TIME}(:[0-9]{2}(\\.[0-9]+)?)?\\s*([A-Za-z]{1,6}|[+-][0-9]{2}(:?[0-9]{2})?)$`;
/** A column named like UTC (Stripe's "Created (UTC)"): times without an offset are UTC times. */
const UTC_NAMED = /(^|[^a-z])utc([^a-z]|$)/i;

/**
 * Values looked at: the hours of a sample say as much as all of them. The date sniffer's rows, so
 * that what its sample showed (no time of day in them) answers for these.
 */
const SAMPLE_ROWS = DATE_SAMPLE_ROWS;
/** Lines fewer than this say nothing about the hours: a NOTE only. */
const FEW_LINES = 30;
/** The five night hours in UTC hold at least this share, and twice the quietest five's. */
const NIGHT_SHARE = 0.15;

/**
 * SQL over a date column's text (date_text): `parts`, what each value is computed once (the
 * regexes run once a value), and over them the hour of day (UTC) of a value's instant (NULL when
 * it holds none), whether it holds one, whether it has another offset, and whether it is exactly
 * midnight.
 */
function instantSql(format: string | null, column: string) {
  if (format !== null && isEpochFormat(format)) {
    const seconds = epochSecondsSql("n", format);
    // Within any date's range: a hostile value (1e308, nan) is no instant, and no error.
    const instant = `coalesce(isfinite(n) AND abs(${seconds}) < 1e11, false)`;
    const ofDay = `((${seconds} % 86400) + 86400) % 86400`;
    return {
      parts: `${dateNumberSql("date_text")} AS n`,
      instant,
      hour: `CASE WHEN ${instant} THEN CAST(floor(${ofDay} / 3600) AS INTEGER) END`,
      other: "false",
      midnight: `${ofDay} = 0`,
    };
  }
  const parts = [
    `TRY_CAST(regexp_extract(date_text, ${sqlString(TIME)}, 1) AS INTEGER) AS h`,
    `upper(regexp_extract(date_text, '(?i)[0-9]\\s*([AP])M\\b', 1)) AS ampm`,
    `regexp_matches(date_text, ${sqlString(ZERO_OFFSET)}) AS zero`,
    `regexp_matches(date_text, ${sqlString(ANY_OFFSET)}) AS with_offset`,
    `regexp_matches(date_text, ${sqlString(MIDNIGHT)}) AS midnight`,
  ].join(", ");
  // In a column named UTC a time without an offset is a UTC time too.
  const instant = `(h IS NOT NULL AND ${UTC_NAMED.test(column) ? "(zero OR NOT with_offset)" : "zero"})`;
  const hour = `CASE WHEN ampm = 'P' AND h < 12 THEN h + 12 WHEN ampm = 'A' AND h = 12 THEN 0 ELSE h END`;
  return {
    parts,
    instant,
    hour: `CASE WHEN ${instant} THEN ${hour} END`,
    other: `with_offset AND NOT ${instant}`,
    midnight: "midnight",
  };
}

/**
 * The date column's instants read as UTC days (no --timezone), with their hours in UTC; null when
 * the column holds none (dates, local times, text with the shop's own offset), when any value is
 * written with another offset, or when every instant is at midnight UTC (dates stored as instants).
 * Looks at the first SAMPLE_ROWS values of the column in `table` (the source's scan).
 * `colonInFirstRows`: whether any of those values holds a ':', when the date sniffer's sample
 * (the same rows) has said so.
 */
export async function utcDays(
  connection: DuckDBConnection,
  table: string,
  column: string,
  format: string | null,
  colonInFirstRows?: boolean,
): Promise<UtcDays | null> {
  const epoch = isEpochFormat(format);
  // Text without a colon holds no time (TIME): it counts towards nothing, so its five regexes are
  // skipped (a column of plain dates spent ~15 ms of a 200,000-line read on them); with none in
  // these rows there is nothing to count, and no need to read them again (~7 ms a read).
  if (!epoch && colonInFirstRows === false) return null;
  const { parts, instant, hour, other, midnight } = instantSql(format, column);
  const text = `SELECT ${columnText(column)} AS date_text FROM ${table} LIMIT ${SAMPLE_ROWS}`;
  const timed = epoch ? "date_text IS NOT NULL" : "contains(date_text, ':')";
  const rows = (
    await connection.runAndReadAll(
      `SELECT ${hour} AS hour, count(*) FILTER (WHERE ${instant}) AS instants,
         count(*) FILTER (WHERE ${other}) AS others,
         count(*) FILTER (WHERE ${instant} AND NOT (${midnight})) AS timed
       FROM (SELECT ${parts} FROM (${text}) WHERE ${timed}) GROUP BY ALL`,
    )
  ).getRowObjectsJS() as Array<{
    hour: number | null;
    instants: bigint;
    others: bigint;
    timed: bigint;
  }>;
  const total = (key: "instants" | "others" | "timed") =>
    rows.reduce((sum, r) => sum + Number(r[key]), 0);
  // None; another offset written (read as written); or dates stored as instants at midnight UTC.
  if (total("instants") === 0 || total("others") > 0 || total("timed") === 0) return null;
  const counts = new Array<number>(24).fill(0);
  // The hours of the timed instants: a date stored as midnight UTC says nothing of the shop's
  // hours (a column mostly of such dates, a few lines timed, read as "95% at night").
  for (const r of rows)
    if (r.hour !== null && r.hour >= 0 && r.hour < 24) counts[r.hour] = Number(r.timed);
  return { column, kind: epoch ? "epoch" : "utc", ...hoursSay(counts) };
}

/**
 * What the instants' count by hour (UTC, 24 counts) says: the night's share, the quietest five
 * hours, and whether the shop is not in UTC.
 */
export function hoursSay(counts: readonly number[]): Omit<UtcDays, "column" | "kind"> {
  const window = (from: number) =>
    [0, 1, 2, 3, 4].reduce((sum, k) => sum + (counts[(from + k) % 24] ?? 0), 0);
  let quiet = 0;
  for (let from = 1; from < 24; from++) if (window(from) < window(quiet)) quiet = from;
  const rows = counts.reduce((sum, c) => sum + c, 0);
  const night = window(0);
  const share = rows === 0 ? 0 : night / rows;
  const notUtc = rows >= FEW_LINES && share >= NIGHT_SHARE && night >= 2 * window(quiet);
  return { rows, night_share: Math.round(share * 1000) / 1000, quiet_from: quiet, not_utc: notUtc };
}

/** "UTC−05:00": the offset of a shop whose night (00:00–05:00) starts at `quietFrom` UTC. */
function offsetOfNight(quietFrom: number): string {
  const offset = quietFrom === 0 ? 0 : quietFrom <= 12 ? -quietFrom : 24 - quietFrom;
  const sign = offset < 0 ? "−" : "+";
  return `UTC${sign}${String(Math.abs(offset)).padStart(2, "0")}:00`;
}

const hh = (h: number) => `${String(h % 24).padStart(2, "0")}:00`;

/** The data summary's NOTE (or WARNING, when the hours say the shop is not in UTC). */
export function utcDaysLine(v: UtcDays): string {
  const what =
    v.kind === "epoch" ? "Unix times" : "instants (timestamps in UTC or with a time zone)";
  const head = `column "${v.column}" holds ${what}, cut into days in UTC (no --timezone)`;
  const pass = "pass --timezone <the shop's zone, e.g. Europe/London>";
  if (!v.not_utc) return `NOTE: ${head}; if the shop is not in UTC, ${pass} for its own days`;
  const pct = `${Math.round(v.night_share * 100)}%`;
  return (
    `WARNING: ${head}, but ${pct} of them fall between 00:00 and 05:00 UTC and the quietest hours are ` +
    `${hh(v.quiet_from)}–${hh(v.quiet_from + 5)} UTC, a shop's night at about ${offsetOfNight(v.quiet_from)}: ` +
    `its evening purchases are read as the next day; ${pass}`
  );
}
