// Exports joined with `cat` whose later header orders the columns otherwise (or has others): its
// lines were read by the first header's positions, so stock codes became customers, and the header
// itself was only counted as repeated. A folder of such exports is refused (many-files.ts); a file
// of them is too, naming the line, since each part would need its own header to be read right.
import { DELIMITERS, lineFields } from "./csv-head.ts";
import { InputError } from "./input-error.ts";
import type { LogColumns } from "./log-input.ts";

/** The delimiter that splits the header most. */
function delimiterOf(header: string): string {
  const count = (d: string) => header.split(d).length;
  return DELIMITERS.reduce((best, d) => (count(d) > count(best) ? d : best));
}

/** How `other`'s names differ from `first`'s: those moved, or those added and left out. */
function difference(first: string[], other: string[]): string {
  const same = first.length === other.length && first.every((n) => other.includes(n));
  if (same) {
    const moved = first.filter((n, i) => other[i] !== n);
    return `its columns in another order (${moved.join(", ")})`;
  }
  const added = other.filter((n) => !first.includes(n));
  const missing = first.filter((n) => !other.includes(n));
  const parts = [
    ...(added.length > 0 ? [`adds ${added.join(", ")}`] : []),
    ...(missing.length > 0 ? [`lacks ${missing.join(", ")}`] : []),
  ];
  const counts =
    other.length === first.length ? "" : `${other.length} columns, not ${first.length}: `;
  return `other columns (${counts}${parts.join("; ") || "the same names, some twice"})`;
}

/**
 * The error for line `line` of `path` when it is a header (the id and date columns among its
 * names) that is not the file's `header`; null when it is a data line after all.
 */
export function otherHeaderError(
  path: string,
  line: number,
  header: string,
  text: string,
  columns: LogColumns,
): InputError | null {
  const delimiter = delimiterOf(header);
  const names = lineFields(text, delimiter);
  if (!names.includes(columns.customerId) || !names.includes(columns.date)) return null;
  const first = lineFields(header, delimiter);
  if (names.join("\n") === first.join("\n")) return null; // the same header, quoted otherwise
  return new InputError(
    undefined,
    `${path}: line ${line}: the header line again, ${difference(first, names)}: the lines below it would be read by the first header's (${header})`,
    {
      hint: `split the file at line ${line} and pass each part by itself, or export the parts with the same columns in the same order (then a folder of them reads as one)`,
    },
  );
}
