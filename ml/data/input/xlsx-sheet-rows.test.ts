// Worksheet XML as writers other than exceljs write it: inline strings (openpyxl's write-only mode,
// many exporters), a namespace prefix on every tag (.NET's Open XML SDK), cells and rows without a
// reference, entities, self-closing rows, formula results, booleans, ISO dates; and any chunking of
// the inflated stream.
import { expect, test } from "bun:test";
import { isDateFormat, type SheetContext, type SheetRow, sheetRows } from "./xlsx-sheet-rows.ts";
import { cellText } from "./xlsx-source.ts";

const context: SheetContext = {
  sharedStrings: ["Customer ID", "Date", "ann & co"],
  isDateStyle: (style) => style === 1,
  date1904: false,
};

/** The sheet's rows as the reader sees them, the XML cut into chunks of `size` bytes. */
async function read(xml: string, size = 1 << 16, only: number[] | null = null) {
  const bytes = new TextEncoder().encode(xml);
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const rows: SheetRow[] = [];
  const columns = { only: only ? new Set(only) : null };
  for await (const batch of sheetRows(chunks(), context, columns)) rows.push(...batch);
  return rows.map((r) => ({ number: r.number, cells: Array.from(r.values, (v) => cellText(v)) }));
}

const SHEET = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:D6"/>
<cols><col min="1" max="4" width="12"/></cols><sheetData>
<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>Total</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>40179.395833333336</v></c><c r="C2"><v>10.5</v></c></row>
<row r="3"><c r="A3" t="inlineStr"><is><r><t>O&apos;Brien </t></r><r><t xml:space="preserve">&#x1F600;</t></r></is></c><c r="B3" s="1"><f>DATE(2010,1,2)</f><v>40180</v></c><c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>
<row r="5"/>
<row r="6"><c r="A6" t="str"><f>"x"&amp;"y"</f><v>x&amp;y</v></c><c r="B6" t="d"><v>2010-01-06T09:00:00</v></c><c r="C6" t="b"><v>1</v></c><c r="D6" s="2"/></row>
</sheetData><rowBreaks count="0"/><pageMargins left="0.7"/></worksheet>`;

const EXPECTED = [
  { number: 1, cells: [undefined, "Customer ID", "Date", "Total"] },
  { number: 2, cells: [undefined, "ann & co", "2010-01-01 09:30:00", "10.5"] },
  { number: 3, cells: [undefined, "O'Brien \u{1F600}", "2010-01-02 00:00:00"] }, // C3: #DIV/0!
  { number: 5, cells: [] },
  { number: 6, cells: [undefined, "x&y", "2010-01-06T09:00:00", "true"] },
].map((r) => ({ ...r, cells: r.cells.map((c) => c ?? null) }));

test("cells as exceljs values them: shared and inline strings, dates by style (formulas too), errors empty, entities decoded", async () => {
  expect(await read(SHEET)).toEqual(EXPECTED);
});

test("any chunking of the stream gives the same rows (a tag, an entity or a character cut in two)", async () => {
  for (const size of [1, 2, 3, 7, 64, 333]) expect(await read(SHEET, size)).toEqual(EXPECTED);
});

test("tags with a namespace prefix, and cells and rows without a reference, are read by position", async () => {
  const prefixed = `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row><x:c t="inlineStr"><x:is><x:t>id</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>amount</x:t></x:is></x:c></x:row>
<x:row><x:c t="inlineStr"><x:is><x:t>a-1</x:t></x:is></x:c><x:c><x:v>3</x:v></x:c></x:row>
<x:row r="7"><x:c r="B7"><x:v>4</x:v></x:c><x:c><x:v>5</x:v></x:c></x:row>
</x:sheetData></x:worksheet>`;
  expect(await read(prefixed, 5)).toEqual([
    { number: 1, cells: [null, "id", "amount"] },
    { number: 2, cells: [null, "a-1", "3"] },
    { number: 7, cells: [null, null, "4", "5"] },
  ]);
});

test("once the header is found, only the columns read are decoded", async () => {
  const rows = await read(SHEET, 1 << 16, [1, 3]);
  expect(rows[1]).toEqual({ number: 2, cells: [null, "ann & co", null, "10.5"] });
});

test("date formats as exceljs tells them: quoted text and [colour] do not make a date", () => {
  expect(isDateFormat("yyyy-mm-dd h:mm")).toBe(true);
  expect(isDateFormat("[$-409]d-mmm-yy")).toBe(true);
  expect(isDateFormat("0.00")).toBe(false);
  expect(isDateFormat('#,##0 "days"')).toBe(false);
  expect(isDateFormat("[Red]0.00")).toBe(false);
  expect(isDateFormat(undefined)).toBe(false);
});

test("a sheet whose XML stops short, inside a row or between rows, is an error, not fewer rows", async () => {
  const cut = SHEET.indexOf('<row r="3">');
  await expect(read(SHEET.slice(0, cut + 30), 7)).rejects.toThrow(
    "its XML ends inside a row (the one after row 2)",
  );
  await expect(read(SHEET.slice(0, cut), 7)).rejects.toThrow(
    "its XML ends after row 2, before </sheetData>",
  );
  // A sheet with no rows at all (a chart sheet's part) is not cut short.
  expect(await read("<chartsheet><drawing/></chartsheet>")).toEqual([]);
});

test("a workbook in the 1904 date system (old Excel for Mac) gives the same day from its own serial", async () => {
  const xml = '<sheetData><row r="1"><c r="A1" s="1"><v>38717.5</v></c></row></sheetData>';
  const rows: SheetRow[] = [];
  const bytes = new TextEncoder().encode(xml);
  async function* once() {
    yield bytes;
  }
  for await (const batch of sheetRows(once(), { ...context, date1904: true })) rows.push(...batch);
  // 38717.5 days after 1904-01-01 is 40179.5 after 1899-12-30: 2010-01-01 12:00.
  expect(cellText(rows[0]?.values[1])).toBe("2010-01-01 12:00:00");
});
