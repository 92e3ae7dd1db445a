// The characters a date layout writes between its fields ("/" and ":" in %d/%m/%Y %H:%M): DuckDB's
// strptime reads a value only if it holds each of them where the layout has it (spaces aside,
// which match any run of blanks). A layout with a character no value holds reads none, and is
// not parsed: a column of 19970101 spent ~200 ms a read parsing ~180 layouts it could not match.

import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "./sql-text.ts";

/**
 * The characters (blanks aside) a value must hold for strptime to read it with `format`; none
 * for a layout with month names in any language (%N) or a zone name (%Z), whose values are
 * rewritten before they are parsed.
 */
export function layoutLiterals(format: string): string[] {
  if (format.includes("%N") || format.includes("%Z")) return [];
  // "%%" is dropped with the fields: a layout needing "%" is only never left out.
  const literal = format.replace(/%-?./g, "").replace(/\s/g, "");
  return [...new Set(literal)];
}

/**
 * For each layout, whether some value of `rows` (text column v) holds every one of its literal
 * characters: one query over the values, instead of parsing them with layouts that read none.
 */
export async function layoutsWithLiterals(
  connection: DuckDBConnection,
  rows: string,
  formats: string[],
): Promise<boolean[]> {
  const chars = [...new Set(formats.flatMap(layoutLiterals))];
  if (chars.length === 0) return formats.map(() => true);
  const held = chars.map((c, i) => `bool_or(contains(v, ${sqlString(c)})) AS k${i}`);
  const reader = await connection.runAndReadAll(`SELECT ${held.join(", ")} FROM (${rows})`);
  const row = reader.getRowObjectsJS()[0] as Record<string, boolean | null>;
  const found = new Set(chars.filter((_, i) => row[`k${i}`] === true));
  return formats.map((f) => layoutLiterals(f).every((c) => found.has(c)));
}
