// Quoting for the few user-given names and values that are spliced into DuckDB SQL (column names,
// file paths, patterns): identifiers in double quotes, strings in single quotes, doubled inside;
// and a guard that keeps a costly test off the rows a cheap one rules out.

import { InputError } from "./input-error.ts";

const NUL = "\u0000";

/** A column name; DuckDB's parser ends a quoted name at a NUL, so a name holding one is refused. */
export function sqlIdentifier(name: string): string {
  if (name.includes(NUL)) {
    throw new InputError(
      name,
      `the column name ${JSON.stringify(name)} holds a NUL character (U+0000), which no column can be named by`,
      { hint: "pass the name without it" },
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal; a NUL (which a CSV value may hold) is spliced in as chr(0), the parser's way. */
export function sqlString(value: string): string {
  const quoted = (part: string) => `'${part.replaceAll("'", "''")}'`;
  if (!value.includes(NUL)) return quoted(value);
  return `(${value.split(NUL).map(quoted).join(" || chr(0) || ")})`;
}

/**
 * A user's query as a subquery, "(query)": the ";" a query pasted from psql or the duckdb shell
 * ends with (before trailing blanks and "--" comments) left out, and the closing parenthesis on
 * a line of its own, so a closing "-- comment" does not run over it.
 */
export function subquerySql(query: string): string {
  // Each comment runs to its line's end: "--" pieces cannot split a run of dashes, which made the
  // pattern take seconds on "; -----…" followed by more SQL.
  return `(${query.replace(/;(?:\s|--[^\n]*(?:\n|$))*$/, "")}\n)`;
}

/** A column's value as a DOUBLE, NULL when it does not read as one (DuckDB skips blanks itself). */
export function columnNumber(name: string): string {
  return `TRY_CAST(${sqlIdentifier(name)} AS DOUBLE)`;
}

/** A column's value as trimmed text, NULL when empty (a user-named column, quoted here). */
export function columnText(name: string): string {
  return `NULLIF(trim(CAST(${sqlIdentifier(name)} AS VARCHAR)), '')`;
}

/**
 * A table name (`orders`, `shop.orders`, `shop."Orders 2024"`) with each part quoted as written:
 * a part in double quotes may hold dots and spaces. Splitting on every dot made `shop."Orders"` a
 * relation named `"Orders"` with its quotes. Unquoted parts keep their case, as `--table` always
 * did (a mixed-case table made by pandas is named as it is). Null when the name does not parse
 * (an unclosed quote, an empty part).
 */
export function tableNameSql(table: string): string | null {
  const parts: string[] = [];
  const part = /\s*(?:"((?:[^"]|"")*)"|([^".\s]+))\s*(\.|$)/y;
  let at = 0;
  while (at < table.length) {
    part.lastIndex = at;
    const m = part.exec(table);
    if (!m) return null;
    parts.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] as string));
    at = part.lastIndex;
    if (m[3] === "." && at === table.length) return null;
  }
  return parts.length > 0 ? parts.map(sqlIdentifier).join(".") : null;
}

/**
 * SQL: `test` (cheap) AND `costly`, false where `test` is not true, with `costly` evaluated only
 * where `test` is. DuckDB ran both sides of an AND on every row: a cheap test before a regex
 * spared nothing. For conditions only (NULL and false alike).
 */
export const onlyWhere = (test: string, costly: string) =>
  `(CASE WHEN ${test} THEN ${costly} ELSE false END)`;
