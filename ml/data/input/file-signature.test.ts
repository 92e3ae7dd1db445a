import { expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
  writeParquet,
} from "../../testing/log-files.ts";
import { InputError } from "./input-error.ts";

// Files whose name says CSV (or nothing) but whose bytes are a workbook, an archive, Parquet or
// gzip: their bytes were read as a CSV header (`there is no column "customer_id" (columns: PK…)`).
const CSV = "customer_id,date,amount\na,2020-01-01,5\nb,2020-01-02,3\na,2020-01-09,2\n";
const EXPECTED = ["a 2020-01-01 5", "a 2020-01-09 2", "b 2020-01-02 3"];

/** `bytes` written under another name: `.csv`, `.xlsm`, no extension. */
const named = (bytes: Uint8Array | string, ext: string) => file(bytes, ext);

async function workbookBytes(): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet("Orders");
  for (const line of CSV.trim().split("\n")) sheet.addRow(line.split(","));
  return new Uint8Array(await book.xlsx.writeBuffer());
}

async function zipBytes(entries: Record<string, string>): Promise<Uint8Array> {
  const zip = new JSZip();
  for (const [name, body] of Object.entries(entries)) zip.file(name, body);
  return zip.generateAsync({ type: "uint8array" });
}

/** The log as Parquet, in a file without an extension. */
const parquetCopy = () => writeParquet(named("", "data"), `SELECT * FROM read_csv('${file(CSV)}')`);

test("a workbook saved as .xlsm, a zip or Parquet under another name: read as what they are", async () => {
  const xlsm = named(await workbookBytes(), "xlsm");
  const zipped = named(await zipBytes({ "orders.csv": CSV }), "csv");
  for (const path of [xlsm, zipped, await parquetCopy()]) {
    expect(days((await read(path)).log)).toEqual(EXPECTED);
  }
});

test("an .xls, an .ods or a gzip without .gz: an InputError naming what the file is and what to pass", async () => {
  const xls = named(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), "xls");
  const ods = named(
    await zipBytes({
      mimetype: "application/vnd.oasis.opendocument.spreadsheet",
      "content.xml": "<x/>",
    }),
    "ods",
  );
  const gz = named(gzipSync(CSV), "csv");
  const cases: [string, string, string][] = [
    [xls, "is an old Excel .xls workbook", "save it as .xlsx or CSV"],
    [ods, "is an OpenDocument spreadsheet (.ods)", "save it as .xlsx or CSV"],
    [gz, "is gzip-compressed, but its name does not end in .gz", `rename it to ${gz}.gz`],
  ];
  for (const [path, problem, hint] of cases) {
    const error = await failure(read(path));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(`${path}: ${problem}`);
    expect((error as InputError).hint).toContain(hint);
  }
  // Renamed as told, the gzip file reads.
  copyFileSync(gz, `${gz}.gz`);
  expect(days((await read(`${gz}.gz`)).log)).toEqual(EXPECTED);
});
