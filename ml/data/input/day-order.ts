// A date column read in one day order (month first, say) that also holds a run of dates only the
// other order reads: a month exported on another machine among the others, or joined to them.
// The run's dates whose day is 12 or less read either way, so they would be read with day and
// month swapped, silently; the ones past 12 stayed unreadable. So the read stops and says so.
import type { DuckDBConnection } from "@duckdb/node-api";
import { LAYOUT_SEPARATOR, parsedSql } from "./date-format.ts";
import { InputError } from "./input-error.ts";

/** Fewer such dates are typos, skipped as unreadable dates as before. */
export const OTHER_ORDER_AT_LEAST = 10;

/** A layout with %d and %m swapped (`%m/%d/%Y` → `%d/%m/%Y`), or null without both. */
export function otherDayOrder(layout: string): string | null {
  const parts = layout.match(/%-?[dm]/g) ?? [];
  if (!parts.some((p) => p.endsWith("d")) || !parts.some((p) => p.endsWith("m"))) return null;
  return layout.replace(/%(-?)([dm])/g, (_, dash: string, part: string) =>
    part === "d" ? `%${dash}m` : `%${dash}d`,
  );
}

/**
 * Throws when at least OTHER_ORDER_AT_LEAST dates left unread by `format` (table lines'
 * unread_date) are read by its layouts with day and month swapped. `describe(rowid)` names a line.
 */
export async function failOnOtherDayOrder(
  connection: DuckDBConnection,
  columnName: string,
  format: string,
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  const layouts = format.split(LAYOUT_SEPARATOR);
  const swapped = layouts
    .map(otherDayOrder)
    .filter((g): g is string => g !== null && !layouts.includes(g));
  if (swapped.length === 0) return;
  const readBy = swapped.map((g) => `${parsedSql("unread_date", g)} IS NOT NULL`);
  // Counted per layout, so the error names only those that read the run: with `%Y-%m-%d` among
  // the column's layouts, `%Y-%d-%m` read none of a day-first month's dates yet was named.
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n, min(rowid) AS r, arg_min(unread_date, rowid) AS v,
       ${readBy.map((c, i) => `count(*) FILTER (WHERE ${c}) AS n${i}`).join(", ")}
     FROM lines WHERE unread_date IS NOT NULL AND (${readBy.join(" OR ")})`,
  );
  const row = reader.getRowObjectsJS()[0] as Record<string, bigint | string | null>;
  const n = Number(row.n);
  if (n < OTHER_ORDER_AT_LEAST || row.r === null) return;
  const other = swapped.filter((_, i) => Number(row[`n${i}`]) > 0).join(LAYOUT_SEPARATOR);
  throw new InputError(
    columnName,
    `${await describe(Number(row.r))}: date "${String(row.v)}" in column "${columnName}" reads only as ` +
      `${other}, as ${n.toLocaleString("en-US")} dates of the column do, while the rest read as ${format}: ` +
      "the dates of those lines with a day of 12 or less read either way, and would be read with day and month swapped",
    {
      hint:
        `read the lines written ${other} apart (their own file, --date-format '${other}'), ` +
        `or pass --date-format '${format}' to read every line as ${format} (the ${n.toLocaleString("en-US")} then skipped as unreadable dates)`,
    },
  );
}
