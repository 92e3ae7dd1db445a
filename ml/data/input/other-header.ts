// Exports joined with `cat` whose later header orders the columns otherwise (or has others, or
// names the id or date column otherwise, or has another number of columns): its
// lines were read by the first header's positions, so stock codes became customers, and the header
// itself was only counted as repeated. A folder of such exports is refused (many-files.ts); a file
// of them is too, naming the line, since each part would need its own header to be read right.
import { ROLE_OPTION } from "./column-suggestion.ts";
import { DELIMITERS, lineFields } from "./csv-head.ts";
import { InputError } from "./input-error.ts";
import type { LogColumns } from "./log-input.ts";

/** The delimiter that splits the header most. */
export function delimiterOf(header: string): string {
  const count = (d: string) => header.split(d).length;
  return DELIMITERS.reduce((best, d) => (count(d) > count(best) ? d : best));
}

/** A name without case, blanks and punctuation: `Customer ID` and `customer_id` are `customerid`. */
const bare = (name: string) => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");

/** A cell written as a value, not a name: more digits than letters (a date, a number, an amount). */
const valueLike = (cell: string) =>
  (cell.match(/\d/g)?.length ?? 0) > (cell.match(/\p{L}/gu)?.length ?? 0);

/**
 * Whether a line's bytes, split naively at `delimiter`, hold a cell with more digits than letters
 * (valueLike; a byte of a character past ASCII counts as a letter): then it is no header. A data
 * line is passed over here without being decoded or parsed, so a file is looked through quickly.
 */
export function holdsValues(line: Uint8Array, delimiter: string): boolean {
  const cut = delimiter.charCodeAt(0);
  let digits = 0;
  let letters = 0;
  for (let i = 0; i <= line.length; i++) {
    const b = i < line.length ? line[i]! : cut;
    if (b === cut) {
      if (digits > letters) return true;
      digits = 0;
      letters = 0;
    } else if (b >= 48 && b <= 57) digits++;
    else if ((b | 32) >= 97 && (b | 32) <= 122) letters++;
    else if (b >= 128) letters++;
  }
  return false;
}

/**
 * Whether `cell` names `column` otherwise: the same bare (`CustomerID`, `Customer ID`), or a part
 * of it (`Date` for `InvoiceDate`). Not the other way: `Date TBD` in a note line is no date column.
 */
function alike(cell: string, column: string): boolean {
  const [x, y] = [bare(cell), bare(column)];
  return x.length >= 2 && y.includes(x);
}

/**
 * Whether `names` (a line after the header `first`) is a header too: it names the id and date
 * columns; or, holding no value (a data line has its date and amount), it shares most names with
 * `first` (case and punctuation aside), or names the id or date column otherwise where `first` has
 * it (`CustomerID` for `Customer ID`, `Date` for `InvoiceDate`).
 */
function isHeader(names: string[], first: string[], columns: LogColumns): boolean {
  if (names.includes(columns.customerId) && names.includes(columns.date)) return true;
  if (names.length < 2 || names.some(valueLike)) return false;
  const known = new Set(first.map(bare).filter((n) => n !== ""));
  const shared = names.filter((n) => known.has(bare(n))).length;
  if (shared * 2 > first.length) return true;
  return [columns.customerId, columns.date].some((column) => {
    const at = first.indexOf(column);
    return at >= 0 && alike(names[at] ?? "", column);
  });
}

/** The chosen columns `other` names otherwise where `first` has them (the others unchanged). */
function renamed(first: string[], other: string[], columns: LogColumns): [string, string][] {
  if (first.length !== other.length) return [];
  const chosen = Object.values(columns).filter((c): c is string => typeof c === "string");
  return first.flatMap((name, i): [string, string][] => {
    const now = other[i] as string;
    const moved = now === name || other.includes(name) || first.includes(now);
    return chosen.includes(name) && !moved ? [[name, now]] : [];
  });
}

/** How `other`'s names differ from `first`'s: those moved, or those renamed, added and left out. */
function difference(first: string[], other: string[], columns: LogColumns): string {
  const same = first.length === other.length && first.every((n) => other.includes(n));
  if (same) {
    const moved = first.filter((n, i) => other[i] !== n);
    return `its columns in another order (${moved.join(", ")})`;
  }
  const renames = renamed(first, other, columns);
  const added = other.filter((n) => !first.includes(n) && !renames.some(([, to]) => to === n));
  const missing = first.filter((n) => !other.includes(n) && !renames.some(([of]) => of === n));
  const parts = [
    ...renames.map(([of, to]) => `renames ${of} to ${to}`),
    ...(added.length > 0 ? [`adds ${added.join(", ")}`] : []),
    ...(missing.length > 0 ? [`lacks ${missing.join(", ")}`] : []),
  ];
  const counts =
    other.length === first.length ? "" : `${other.length} columns, not ${first.length}: `;
  return `other columns (${counts}${parts.join("; ") || "the same names, some twice"})`;
}

/** What to pass for the part below when it names a chosen column otherwise. */
function renameAdvice(first: string[], other: string[], columns: LogColumns): string {
  const [rename] = renamed(first, other, columns);
  if (!rename) return "";
  const [of, to] = rename;
  const role = (Object.keys(columns) as Array<keyof LogColumns>).find((k) => columns[k] === of);
  const option = role === undefined ? "the column option" : ROLE_OPTION[role];
  return ` (its ${JSON.stringify(of)} column is named ${JSON.stringify(to)} there: pass ${option} ${JSON.stringify(to)} for that part)`;
}

/**
 * The error for line `line` of `path` when it is a header (isHeader) that is not the file's
 * `header` (on line `headerAt`); null when it is a data line after all, or the same header quoted
 * otherwise. A header above the one read (the columns named as in a later part) left the lines
 * between out as lines above the header.
 */
export function otherHeaderError(
  path: string,
  line: number,
  header: string,
  text: string,
  columns: LogColumns,
  headerAt = 1,
): InputError | null {
  const delimiter = delimiterOf(header);
  const names = lineFields(text, delimiter);
  const first = lineFields(header, delimiter);
  if (!isHeader(names, first, columns)) return null;
  if (names.join("\n") === first.join("\n")) return null; // the same header, quoted otherwise
  const above = line < headerAt;
  const what = above
    ? `a header line above the one read (line ${headerAt}, ${header}), ${difference(first, names, columns)}: the lines between were left out as lines above the header`
    : `the header line again, ${difference(first, names, columns)}: the lines below it would be read by the first header's (${header})`;
  const at = above ? headerAt : line;
  return new InputError(undefined, `${path}: line ${line}: ${what}`, {
    hint: `split the file at line ${at} and pass each part by itself${renameAdvice(first, names, columns)}, or export the parts with the same columns in the same order (then a folder of them reads as one)`,
  });
}
