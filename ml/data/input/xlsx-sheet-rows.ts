// The rows of one worksheet part (xl/worksheets/sheetN.xml), parsed as it inflates: each `<row>`
// as its number and its cells' values by column number, valued as exceljs values them (shared
// strings, numbers, booleans, dates by the cell's number format, errors as none). exceljs's own
// streaming parse ran at ~25,000 rows/s and on Bun now and then stopped early; this reads only the
// few tags a data sheet's values live in.

/** What a sheet's cells need from the rest of the workbook. */
export interface SheetContext {
  /** xl/sharedStrings.xml's strings. */
  sharedStrings: readonly string[];
  /** Whether the cell style (the `s` attribute) has a date or time number format. */
  isDateStyle: (style: number) => boolean;
  date1904: boolean;
}

export interface SheetRow {
  /** The row's number in the sheet (1-based, its `r`, or one after the row before). */
  number: number;
  /** Cell values by column number (1-based; holes for empty cells), as exceljs's row.values. */
  values: unknown[];
}

const ROW_START = /<(?:\w+:)?row\b([^>]*?)(\/?)>/g;
const ROW_END = /<\/(?:\w+:)?row>/g;
const SHEET_DATA_END = /<\/(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*\/>/;
const CELL = /<(?:\w+:)?c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)/g;
const VALUE = /<(?:\w+:)?v>([\s\S]*?)<\/(?:\w+:)?v>/;
const FORMULA = /<(?:\w+:)?f\b/;
const TEXT_RUN = /<(?:\w+:)?t\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?t>)/g;
const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** XML text with its entities decoded (`&amp;`, `&#x1F600;`). */
export function xmlDecode(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(ENTITY, (whole, hex?: string, dec?: string, name?: string) => {
    if (name) return NAMED[name] ?? whole;
    const code = hex ? Number.parseInt(hex, 16) : Number(dec);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * An attribute's value in a start tag (or its attribute text), or undefined. By indexOf, not a
 * regular expression: it runs for every cell. The name must follow whitespace (`id` is not `r:id`).
 */
export function attribute(tag: string, name: string): string | undefined {
  const needle = `${name}="`;
  for (let at = tag.indexOf(needle); at > 0; at = tag.indexOf(needle, at + 1)) {
    if (tag.charCodeAt(at - 1) > 32) continue;
    const start = at + needle.length;
    return tag.slice(start, tag.indexOf('"', start));
  }
  return undefined;
}

const PHONETIC_RUN = /<(?:\w+:)?rPh\b[\s\S]*?<\/(?:\w+:)?rPh>/g;

/** A string item's text (inline or shared): its runs joined, phonetic guides left out, decoded. */
export function richText(xml: string): string {
  let text = "";
  for (const run of xml.replace(PHONETIC_RUN, "").matchAll(TEXT_RUN)) text += run[1] ?? "";
  return xmlDecode(text);
}

/** The column number of a cell reference ("AB12" → 28), or 0 when it names none. */
function columnOf(ref: string): number {
  let column = 0;
  for (let i = 0; i < ref.length; i++) {
    const code = ref.charCodeAt(i);
    if (code >= 65 && code <= 90) column = column * 26 + (code - 64);
    else if (code >= 97 && code <= 122) column = column * 26 + (code - 96);
    else break;
  }
  return column;
}

/** exceljs's serial → Date: the wall-clock time written in the cell, as if it were UTC. */
function excelDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
}

/** A number cell: a date when its style formats it as one (a formula's result too). */
function numberValue(v: string, style: number, context: SheetContext): number | Date {
  const n = Number.parseFloat(v);
  return style > 0 && context.isDateStyle(style) ? excelDate(n, context.date1904) : n;
}

/** One cell's value; undefined for an empty cell. */
function cellValue(attributes: string, body: string, context: SheetContext): unknown {
  const type = attribute(attributes, "t");
  if (type === "inlineStr") return richText(body);
  const v = VALUE.exec(body)?.[1];
  if (v === undefined) return undefined;
  const style = Number(attribute(attributes, "s") ?? 0);
  switch (type) {
    case "s":
      return context.sharedStrings[Number.parseInt(v, 10)];
    case "str":
    case "d": // an ISO 8601 date written as text
      return xmlDecode(v);
    case "e":
      return null; // #N/A, #DIV/0!: no value
    case "b":
      return FORMULA.test(body) ? Number.parseFloat(v) : Number.parseInt(v, 10) !== 0;
    default:
      return numberValue(v, style, context);
  }
}

/** The cells of a row's XML, by column number (only those in `only`, when given). */
function rowValues(
  body: string,
  context: SheetContext,
  only: ReadonlySet<number> | null,
): unknown[] {
  const values: unknown[] = [];
  let column = 0;
  CELL.lastIndex = 0;
  for (let m = CELL.exec(body); m !== null; m = CELL.exec(body)) {
    const attributes = m[1] ?? "";
    const ref = attribute(attributes, "r");
    // A cell without a reference follows the one before it (allowed, and written by some tools).
    column = ref ? columnOf(ref) || column + 1 : column + 1;
    if (only !== null && !only.has(column)) continue;
    const value = m[2] === undefined ? undefined : cellValue(attributes, m[2], context);
    if (value !== undefined && value !== null) values[column] = value;
  }
  return values;
}

/**
 * The sheet's rows, a chunk's worth at a time, from the inflated XML. Only complete rows are
 * parsed; the rest of a chunk waits for the next. Once the caller sets `columns.only` (the header
 * found), only those columns' values are decoded: a shop's export has many more columns than read.
 */
export async function* sheetRows(
  chunks: AsyncIterable<Uint8Array>,
  context: SheetContext,
  columns: { only: ReadonlySet<number> | null } = { only: null },
): AsyncGenerator<SheetRow[]> {
  const decoder = new TextDecoder();
  let text = "";
  let number = 0;
  let ended = false; // </sheetData> seen: the rows are all there
  const parse = (final: boolean): SheetRow[] => {
    const rows: SheetRow[] = [];
    let done = 0;
    for (;;) {
      ROW_START.lastIndex = done;
      const start = ROW_START.exec(text);
      if (start === null) {
        ended ||= SHEET_DATA_END.test(text.slice(done));
        // Keep a tag cut off at the chunk's end ("<ro").
        const lt = text.lastIndexOf("<");
        done = final ? text.length : Math.max(done, lt >= 0 ? lt : text.length);
        break;
      }
      let body = "";
      let end = start.index + start[0].length;
      if (start[2] !== "/") {
        ROW_END.lastIndex = end;
        const close = ROW_END.exec(text);
        if (close === null && final)
          throw new Error(`its XML ends inside a row (the one after row ${number})`);
        if (close === null) {
          done = start.index;
          break;
        }
        body = text.slice(end, close.index);
        end = close.index + close[0].length;
      }
      const r = attribute(start[1] ?? "", "r");
      number = r ? Number.parseInt(r, 10) : number + 1;
      rows.push({ number, values: rowValues(body, context, columns.only) });
      done = end;
    }
    text = text.slice(done);
    return rows;
  };
  for await (const chunk of chunks) {
    text += decoder.decode(chunk, { stream: true });
    const rows = parse(false);
    if (rows.length > 0) yield rows;
  }
  text += decoder.decode();
  const rows = parse(true);
  if (rows.length > 0) yield rows;
  // A part cut short between rows is still whole XML up to there: its rows would pass as all.
  if (number > 0 && !ended)
    throw new Error(`its XML ends after row ${number}, before </sheetData>`);
}

/** exceljs's test of a number format for dates and times (quoted text and [colour] removed). */
export function isDateFormat(format: string | undefined): boolean {
  if (!format) return false;
  const bare = format.replace(/\[[^\]]*]/g, "").replace(/"[^"]*"/g, "");
  return /[ymdhMsb]+/.test(bare);
}
