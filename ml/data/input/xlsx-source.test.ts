import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { purchaseDays as days, failure, tempLogFile } from "../../testing/log-files.ts";
import { BadRowError } from "../bad-rows.ts";
import { dataQualityLines, examplesText } from "./data-quality.ts";
import { InputError } from "./input-error.ts";
import type { LogColumns, LogInput } from "./log-input.ts";
import { readTransactionLog } from "./read-transaction-log.ts";
import { cellText } from "./xlsx-source.ts";

const COLUMNS: LogColumns = { customerId: "Customer ID", date: "InvoiceDate", amount: "Total" };
const HEADER = ["Invoice", "Customer ID", "InvoiceDate", "Total"];
const at = (day: number, hour = 9) => new Date(Date.UTC(2010, 0, day, hour, 30));

/** A workbook as a shop's back office saves one: two years on two sheets, and a notes sheet. */
async function workbook(): Promise<string> {
  const book = new ExcelJS.Workbook();
  const first = book.addWorksheet("Year 2009-2010");
  first.addRow([]); // a blank row above the header
  first.addRow(HEADER);
  first.addRow(["1", 13085, at(1), 10.5]); // row 3: numbers and a date cell
  first.addRow(["2", 13085, at(1, 23), { formula: "2*3", result: 6 }]); // same day: merged
  first.addRow(["3", { text: "x-42", hyperlink: "https://shop/x-42" }, at(2), 1]);
  first.addRow(["4", null, at(3), 7]); // row 6: no customer (a guest checkout)
  first.addRow(["5", "x-42", at(4), { error: "#N/A" }]); // row 7: an error cell
  first.addRow([
    "6",
    { richText: [{ text: "y" }, { text: "-\u{1F600}" }] },
    "2010-01-05",
    " 12.50",
  ]);
  const second = book.addWorksheet("Year 2010-2011");
  second.addRow(HEADER);
  second.addRow(["7", 13085, at(20), 2]);
  second.addRow(["C8", 13085, at(21), -2]); // a cancellation
  book.addWorksheet("Notes").addRow(["Exported by the back office", "do not edit"]);
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  return path;
}

const read = (path: string, extra: Partial<LogInput> = {}) =>
  readTransactionLog({ source: { kind: "xlsx", path }, columns: COLUMNS, ...extra });

test("cells as text: numbers plain, dates as the wall-clock time written, no value empty", () => {
  expect(cellText(13085)).toBe("13085");
  expect(cellText(at(1))).toBe("2010-01-01 09:30:00");
  expect(cellText(true)).toBe("true");
  expect(cellText(Number.NaN)).toBeNull();
  expect(cellText(new Date(Number.NaN))).toBeNull();
  expect(cellText(null)).toBeNull();
  expect(cellText(undefined)).toBeNull();
});

test("every sheet with the columns is read; skipped rows carry their sheet row", async () => {
  const path = await workbook();
  const { log, quality } = await read(path);
  expect(days(log)).toEqual([
    "13085 2010-01-01 16.5",
    "13085 2010-01-20 0",
    "x-42 2010-01-02 1",
    "y-\u{1F600} 2010-01-05 12.5",
  ]);
  expect(quality.sheets).toEqual({
    read: ["Year 2009-2010", "Year 2010-2011"],
    skipped: ["Notes"],
  });
  expect(quality.position).toBe("row");
  expect(quality.skipped).toEqual({ "missing customer id": 1, "missing amount": 1 });
  expect(quality.examples).toEqual({ "missing customer id": [6], "missing amount": [7] });
  expect(quality.example_sheets).toEqual({
    "missing customer id": ["Year 2009-2010"],
    "missing amount": ["Year 2009-2010"],
  });
  expect(quality.returns.rows).toBe(1);
  expect(quality.number_formats).toEqual({}); // numbers in text cells are still plain numbers
});

test("--sheet reads one sheet; a sheet or column that is not there is named with what there is", async () => {
  const path = await workbook();
  const only = await read(path, { source: { kind: "xlsx", path, sheet: "Year 2010-2011" } });
  expect(days(only.log)).toEqual(["13085 2010-01-20 0"]);
  expect(only.quality.sheets).toEqual({ read: ["Year 2010-2011"], skipped: [] });
  const missing = await failure(read(path, { source: { kind: "xlsx", path, sheet: "2012" } }));
  expect(missing).toBeInstanceOf(InputError);
  expect(missing?.message).toContain(
    'there is no sheet "2012" (sheets: Year 2009-2010, Year 2010-2011, Notes)',
  );
  const column = await failure(read(path, { columns: { ...COLUMNS, customerId: "Customer" } }));
  expect(column?.message).toContain(
    'there is no column "Customer" (columns: Invoice, Customer ID, InvoiceDate, Total)',
  );
  expect(column?.message).toContain("pass --customer-col");
  const notes = await failure(read(path, { source: { kind: "xlsx", path, sheet: "Notes" } }));
  expect(notes?.message).toContain(
    'sheet "Notes": line 1: there are no columns "Customer ID", "InvoiceDate", "Total"',
  );
});

test("a file that is not a workbook fails with what to pass instead", async () => {
  const path = tempLogFile("Customer ID,InvoiceDate,Total\n1,2010-01-01,1\n", "xlsx");
  const error = await failure(read(path));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain("cannot be read as .xlsx");
  expect(error?.message).toContain("not a whole zip archive");
  expect(error?.message).toContain("export the sheet as CSV");
  // A download cut short, and a zip that holds no workbook.
  const whole = readFileSync(await workbook());
  const cut = await failure(read(tempLogFile(whole.subarray(0, whole.length >> 1), "xlsx")));
  expect(cut?.message).toContain("not a whole zip archive");
  const notes = new ExcelJS.Workbook();
  notes.addWorksheet("Notes");
  const zip = await JSZip.loadAsync(await notes.xlsx.writeBuffer());
  zip.remove("xl/workbook.xml");
  const bare = tempLogFile(await zip.generateAsync({ type: "uint8array" }), "xlsx");
  expect((await failure(read(bare)))?.message).toContain("lists no sheets");
});

test("a sheet listed without its part, or whose compressed data is damaged, fails naming the workbook", async () => {
  const zip = await JSZip.loadAsync(readFileSync(await workbook()));
  zip.remove("xl/worksheets/sheet2.xml");
  const missing = tempLogFile(await zip.generateAsync({ type: "uint8array" }), "xlsx");
  const error = await failure(read(missing));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain(
    'cannot be read as .xlsx: sheet "Year 2010-2011" has no worksheet part in the archive',
  );
  // Flip bytes inside the first sheet's deflated data: the zip's directory is whole.
  const whole = await JSZip.loadAsync(readFileSync(await workbook()));
  const big = Array.from(
    { length: 3000 },
    (_, i) => `<row r="${i + 9}"><c r="A${i + 9}"><v>${i}</v></c></row>`,
  );
  const sheet = (await whole.file("xl/worksheets/sheet1.xml")?.async("string")) ?? "";
  whole.file(
    "xl/worksheets/sheet1.xml",
    sheet.replace("</sheetData>", `${big.join("")}</sheetData>`),
  );
  const bytes = await whole.generateAsync({ type: "uint8array", compression: "DEFLATE" });
  const at = Buffer.from(bytes).indexOf("xl/worksheets/sheet1.xml") + 200;
  for (let i = at; i < at + 40; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xa5;
  const damaged = await failure(read(tempLogFile(bytes, "xlsx")));
  expect(damaged).toBeInstanceOf(InputError);
  expect(damaged?.message).toContain(
    'cannot be read as .xlsx: sheet "Year 2009-2010" is damaged (',
  );
});

test("bad rows on several sheets are named by sheet and row, after a repeated row is left out", async () => {
  const book = new ExcelJS.Workbook();
  const first = book.addWorksheet("2010");
  first.addRow(HEADER);
  first.addRow(["1", "a", at(1), 5]); // row 2, repeated on the next sheet
  for (let r = 3; r <= 9; r++) first.addRow([String(r), "a", at(r), 5]);
  first.addRow(["10", null, at(10), 5]); // row 10: no customer
  const second = book.addWorksheet("2011");
  second.addRow(HEADER);
  second.addRow(["1", "a", at(1), 5]); // row 2: the first sheet's row 2 again, left out
  second.addRow(["11", null, at(11), 5]); // row 3: no customer
  second.addRow(["12", "b", at(12), null]); // row 4: no amount
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  const { quality } = await read(path);
  expect(quality.examples).toEqual({ "missing customer id": [10, 3], "missing amount": [4] });
  expect(quality.example_sheets).toEqual({
    "missing customer id": ["2010", "2011"],
    "missing amount": ["2011"],
  });
  expect(examplesText(quality, "missing customer id")).toBe(
    'sheet "2010" row 10, sheet "2011" row 3',
  );
  // --on-bad-row fail: the first in reading order (row 3 of the second sheet is not before row 10 of the first)
  const failed = await read(path, { onBadRow: "fail" }).catch((e: Error) => e);
  expect(failed).toBeInstanceOf(BadRowError);
  expect((failed as Error).message).toMatch(
    /\.xlsx sheet "2010": row 10, field "Customer ID": missing customer id; 2 rows have this problem \(3 bad rows in all\)/,
  );
  // an error that names a row names its sheet
  const unreadable = await read(path, { dateFormat: "%d.%m.%Y" }).catch((e: Error) => e);
  expect((unreadable as Error).message).toContain('sheet "2010" row 2: every row is skipped');
});

test("a report title above the header is passed over; skipped rows keep their sheet row", async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet("Report");
  sheet.addRow(["Sales by customer, 2010"]);
  sheet.addRow(["Exported", at(31)]);
  sheet.addRow([]);
  sheet.addRow(HEADER); // row 4
  sheet.addRow(["1", "a", at(1), 5]);
  sheet.addRow(["2", null, at(2), 6]); // row 6: no customer
  sheet.addRow(["3", "b", at(3), 7]);
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  const { log, quality } = await read(path);
  expect(days(log)).toEqual(["a 2010-01-01 5", "b 2010-01-03 7"]);
  expect(quality.examples).toEqual({ "missing customer id": [6] });
  expect(quality.sheets).toEqual({ read: ["Report"], skipped: [] });
});

test("sheet names with XML entities are read as written, and chosen by --sheet", async () => {
  const book = new ExcelJS.Workbook();
  book.addWorksheet("R&D <2010>").addRow(HEADER);
  const sales = book.addWorksheet(`Sales & "Returns"`);
  sales.addRow(HEADER);
  sales.addRow(["1", "a", at(1), 5]);
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  const all = await read(path);
  expect(all.quality.sheets).toEqual({ read: ["R&D <2010>", `Sales & "Returns"`], skipped: [] });
  const one = await read(path, { source: { kind: "xlsx", path, sheet: `Sales & "Returns"` } });
  expect(days(one.log)).toEqual(["a 2010-01-01 5"]);
});

test("overlapping sheets (Online Retail II's two years share 2010-12-01..09): their shared rows are read once", async () => {
  // The later sheet repeats the earlier one's last week; a repeat within one sheet is kept (two
  // equal lines of one invoice are real). Read twice, the shared week's spend counted double.
  const book = new ExcelJS.Workbook();
  const first = book.addWorksheet("Year 2009-2010");
  first.addRow(HEADER);
  first.addRow(["1", 13085, at(1), 10]);
  first.addRow(["2", 13085, at(5), 4]);
  first.addRow(["2", 13085, at(5), 4]); // row 4: the same line twice on one invoice
  first.addRow(["3", 555, at(6), 7]);
  const second = book.addWorksheet("Year 2010-2011");
  second.addRow(HEADER);
  second.addRow(["2", 13085, at(5), 4]); // rows 2–4: the shared days, exported again
  second.addRow(["2", 13085, at(5), 4]);
  second.addRow(["3", 555, at(6), 7]);
  second.addRow(["4", 555, at(9), 3]); // row 5: new
  second.addRow(["5", null, at(9), 1]); // row 6: skipped, found by its own row number
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  const { log, quality } = await read(path);
  expect(days(log)).toEqual([
    "13085 2010-01-01 10",
    "13085 2010-01-05 8",
    "555 2010-01-06 7",
    "555 2010-01-09 3",
  ]);
  expect(quality.sheets?.repeated).toEqual([
    { sheet: "Year 2010-2011", of: "Year 2009-2010", rows: 3 },
  ]);
  expect(quality.rows_read).toBe(6);
  expect(quality.examples).toEqual({ "missing customer id": [6] });
  expect(dataQualityLines(quality)).toContain(
    '  sheet "Year 2010-2011": 3 rows repeat rows of sheet "Year 2009-2010" (the sheets overlap): read once',
  );
  // One sheet alone is read as it is, repeats and all.
  const alone = await read(path, { source: { kind: "xlsx", path, sheet: "Year 2010-2011" } });
  expect(alone.quality.sheets?.repeated).toBeUndefined();
  expect(days(alone.log)).toContain("13085 2010-01-05 8");
});

// A workbook's XML can spell any code point, also those no id should hold: NUL, a lone surrogate,
// one past U+10FFFF; and an amount of 1e308.
test("hostile values in cells: an id with NUL skipped, a lone surrogate replaced, an impossible entity as written, 1e308 skipped", async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet("S");
  sheet.addRow(["Customer ID", "InvoiceDate", "Total"]);
  for (let i = 0; i < 6; i++) sheet.addRow([`x${i}`, at(1 + i), 1]);
  const zip = await JSZip.loadAsync(await book.xlsx.writeBuffer());
  let xml = (await zip.file("xl/worksheets/sheet1.xml")?.async("string")) ?? "";
  const ids = ["&#0;nul", "&#xD800;lone", "&#x110000;big", "&#x1F600;emoji", "a&amp;b"];
  ids.forEach((id, k) => {
    const cell = new RegExp(`<c r="A${k + 2}"[^>]*>.*?</c>`);
    xml = xml.replace(cell, `<c r="A${k + 2}" t="inlineStr"><is><t>${id}</t></is></c>`);
  });
  xml = xml.replace(/<c r="C7"[^>]*>.*?<\/c>/, `<c r="C7"><v>1e308</v></c>`);
  zip.file("xl/worksheets/sheet1.xml", xml);
  const path = tempLogFile(await zip.generateAsync({ type: "uint8array" }), "xlsx");
  const { log, quality } = await read(path);
  expect(quality.rows_read).toBe(6);
  // PostgreSQL text cannot hold NUL: such an id could be neither registered nor asked for.
  expect(quality.examples).toEqual({
    "customer id with a NUL character (binary data)": [2],
    "amount out of range (not finite, or above 1000000000000 in size)": [7],
  });
  expect([...log.customerIds].sort()).toEqual(
    ["\uFFFDlone", "&#x110000;big", "\u{1F600}emoji", "a&b"].sort(),
  );
});

test("a long sheet without the columns near its top is left after its first 50 rows, and the next sheet read whole", async () => {
  const book = new ExcelJS.Workbook();
  const pivot = book.addWorksheet("Pivot");
  for (let i = 0; i < 2000; i++) pivot.addRow([`row ${i}`, i, i * 2]);
  const data = book.addWorksheet("Data");
  data.addRow(HEADER);
  for (let i = 0; i < 300; i++) data.addRow([String(i), `c${i % 10}`, at(1 + (i % 28)), 1]);
  const path = tempLogFile("", "xlsx");
  await book.xlsx.writeFile(path);
  const { log, quality } = await read(path);
  expect(quality.rows_read).toBe(300);
  expect(quality.sheets).toEqual({ read: ["Data"], skipped: ["Pivot"] });
  expect(log.customerIds.length).toBe(10);
});
