// What a file to be read as text really is, by its first bytes: a workbook saved as .xlsm, a zip,
// Parquet or gzip without their extension is read as what it is, and an old .xls or an
// OpenDocument sheet is refused by name, instead of their bytes being read as a CSV's header.

import { closeSync, openSync, readSync } from "node:fs";
import { InputError } from "./input-error.ts";
import type { LogSource } from "./log-input.ts";

type FileSource = Exclude<LogSource, { kind: "postgres" }>;

function firstBytes(path: string, n: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const bytes = new Uint8Array(n);
    return bytes.subarray(0, readSync(fd, bytes, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const GZIP = [0x1f, 0x8b];
const PARQUET = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

/** The entries of a zip archive's central directory (empty when it cannot be read). */
async function zipEntries(path: string): Promise<string[]> {
  try {
    const { Open } = await import("unzipper");
    return (await Open.file(path)).files.map((f) => f.path);
  } catch {
    return [];
  }
}

/**
 * How a file taken as a CSV (by its name) is to be read: "zip" for an archive of logs, else the
 * source to read (an .xlsx under another name, Parquet); throws for what cannot be read.
 */
export async function sourceBySignature(source: FileSource): Promise<FileSource | "zip"> {
  if (source.kind !== "csv") return source;
  const { path } = source;
  const bytes = firstBytes(path, 8);
  const refuse = (what: string, hint: string) =>
    new InputError(undefined, `${path}: ${what}`, { hint });
  if (startsWith(bytes, ZIP)) {
    const entries = await zipEntries(path);
    if (entries.includes("xl/workbook.xml")) return { kind: "xlsx", path };
    if (entries.includes("mimetype") && entries.includes("content.xml")) {
      throw refuse(
        "is an OpenDocument spreadsheet (.ods), not a text file",
        "save it as .xlsx or CSV and pass that",
      );
    }
    return "zip";
  }
  if (startsWith(bytes, OLE2)) {
    throw refuse(
      "is an old Excel .xls workbook (or another binary Office file), not a text file",
      "save it as .xlsx or CSV and pass that",
    );
  }
  if (startsWith(bytes, PARQUET)) return { kind: "parquet", path };
  if (startsWith(bytes, GZIP) && !/\.gz$/i.test(path)) {
    throw refuse(
      "is gzip-compressed, but its name does not end in .gz",
      `rename it to ${path}.gz (it is read decompressed then), or gunzip it`,
    );
  }
  return source;
}
