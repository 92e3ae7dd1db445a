// Time zones written by name in dates (`%Z` in a layout): JavaScript's `GMT-0500 (Eastern Standard
// Time)`, HTTP's `GMT`, Unix `date`'s and Java's `EST` before the year. The value is rewritten
// with its zone at the end as a numeric offset (or without it), which strptime's %z reads.

import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import { sqlString } from "./sql-text.ts";

/** In a layout: the time zone by name or as `GMT±hhmm` (`%Z`, as strftime writes a name). */
export const ZONE_NAME = "%Z";

/**
 * Abbreviations that name one offset wherever they are written (RFC 5322's US zones and the
 * common others). Never BST, IST, CST, AST: DuckDB's time zone library reads BST as Bangladesh
 * (+06:00) and IST as India, which a British or Irish shop's `BST` is not.
 */
const OFFSETS: Record<string, string> = {
  UT: "+0000",
  UTC: "+0000",
  GMT: "+0000",
  Z: "+0000",
  WET: "+0000",
  EST: "-0500",
  EDT: "-0400",
  CDT: "-0500",
  MST: "-0700",
  MDT: "-0600",
  PST: "-0800",
  PDT: "-0700",
  AKST: "-0900",
  AKDT: "-0800",
  HST: "-1000",
  CET: "+0100",
  CEST: "+0200",
  MET: "+0100",
  MEST: "+0200",
  WEST: "+0100",
  EET: "+0200",
  EEST: "+0300",
  MSK: "+0300",
  JST: "+0900",
  KST: "+0900",
  HKT: "+0800",
  SGT: "+0800",
  AWST: "+0800",
  ACST: "+0930",
  ACDT: "+1030",
  AEST: "+1000",
  AEDT: "+1100",
  NZST: "+1200",
  NZDT: "+1300",
};

/** What some abbreviations that name no one offset may mean, for the error that refuses them. */
const AMBIGUOUS_ZONES: Record<string, string> = {
  BST: "British Summer Time +01:00 or Bangladesh +06:00",
  IST: "India +05:30, Irish Standard Time +01:00 or Israel +02:00",
  CST: "US Central -06:00, China +08:00 or Cuba -05:00",
  AST: "Atlantic -04:00 or Arabia +03:00",
};

// A time (with seconds, fraction and AM/PM, each optional), then the zone: an offset or a name.
const TIME = "(\\d:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s*[AaPp]\\.?[Mm]\\.?)?)";
const ZONE = "([+-]\\d{2}:?\\d{2}|[A-Z]{3,5}|UT|Z)";
const ZONE_AFTER_TIME = `${TIME}\\s*${ZONE}(\\s|$)`;

/** SQL: the value with JavaScript's `GMT-0500 (Eastern Standard Time)` and Go's `-0500 EST` as `-0500`. */
function offsetsSql(value: string): string {
  const noLongName = `regexp_replace(${value}, '\\s*\\([^()]*\\)\\s*$', '')`;
  const noGmt = `regexp_replace(${noLongName}, '\\b(?:GMT|UTC|UT)([+-]\\d{2}:?\\d{2})\\b', '\\1')`;
  return `regexp_replace(${noGmt}, '([+-]\\d{2}:?\\d{2})\\s+[A-Z]{3,5}$', '\\1')`;
}

/** SQL: the zone written after the time (`EST`, `-0500`), or '' when there is none. */
function zoneTextSql(value: string): string {
  return `regexp_extract(${offsetsSql(value)}, ${sqlString(ZONE_AFTER_TIME)}, 2)`;
}

/** SQL: the numeric offset of a zone's text, NULL for a name that names no one offset. */
function offsetSql(zone: string): string {
  const names = Object.entries(OFFSETS)
    .map(([name, offset]) => `WHEN ${sqlString(name)} THEN ${sqlString(offset)}`)
    .join(" ");
  return `CASE WHEN regexp_full_match(${zone}, '[+-].*') THEN ${zone} ELSE CASE ${zone} ${names} END END`;
}

/**
 * SQL: `value` with its zone taken out of where it is written and, when `keep`, put at the end as
 * `±hhmm` (NULL when the name has no one offset); NULL when it has no zone after its time.
 */
export function zoneNamesSql(value: string, keep: boolean): string {
  const text = offsetsSql(value);
  const zone = `regexp_extract(${text}, ${sqlString(ZONE_AFTER_TIME)}, 2)`;
  const rest = `trim(regexp_replace(${text}, ${sqlString(ZONE_AFTER_TIME)}, '\\1\\3'))`;
  const out = keep ? `${rest} || ' ' || ${offsetSql(zone)}` : rest;
  return `CASE WHEN ${zone} <> '' THEN ${out} END`;
}

/** The layout a rewritten value is read with: `%Z` taken out, and ` %z` at the end when `keep`. */
export function zoneLayout(format: string, keep: boolean): string {
  const without = format.replace(/\s*%Z/, "");
  return keep ? `${without} %z` : without;
}

/**
 * With --timezone, a date whose zone name names no one offset (BST, IST, CST) cannot be turned into
 * the shop's day: an error naming it and its line, rather than a day read in the wrong zone or a
 * column of unreadable dates. Looks only at the dates no layout read (table lines' unread_date).
 */
export async function failOnZoneNames(
  connection: DuckDBConnection,
  columnName: string,
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  const reader = await connection.runAndReadAll(
    `SELECT r, v, zone FROM (
       SELECT rowid AS r, unread_date AS v, ${zoneTextSql("unread_date")} AS zone FROM lines
       WHERE unread_date IS NOT NULL)
     WHERE zone <> '' AND ${offsetSql("zone")} IS NULL ORDER BY r LIMIT 1`,
  );
  const named = reader.getRowObjectsJS()[0] as { r: bigint; v: string; zone: string } | undefined;
  if (!named) return;
  const meaning = AMBIGUOUS_ZONES[named.zone];
  throw new InputError(
    columnName,
    `${await describe(Number(named.r))}: date "${named.v}" in column "${columnName}" gives its ` +
      `time zone as "${named.zone}", ${meaning ? `which stands for ${meaning}` : "a name with no one offset known here"}, so --timezone cannot tell its day`,
    {
      hint: "leave out --timezone to read each date as written (the shop's local time), or export the dates with a numeric offset such as +01:00",
    },
  );
}
