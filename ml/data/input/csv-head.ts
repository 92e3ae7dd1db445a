// The first bytes of a CSV, for what DuckDB's sniffer can miss in a shop's export: a UTF-16
// byte-order mark (Excel's "Unicode text"), and the header line under a report title or an
// export date, found by the column names the user asked for.

import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import Papa from "papaparse";
import { openDecompressed } from "../line-reader.ts";
import { LineByLineDecoder, type LineEncodings } from "./line-encodings.ts";
import type { CsvEncoding, OtherEncoding } from "./log-input.ts";
import { tempCopyFolder } from "./temp-copies.ts";

const HEAD_BYTES = 1 << 18;
/** Header search stops here: a title block is a few lines, not a page. */
export const HEADER_SEARCH_LINES = 50;
/** The delimiters a header line is tried with. */
export const DELIMITERS = [",", ";", "\t", "|"];

/** A line's fields split by `delimiter` as CSV (quotes taken off), blanks trimmed. */
export function lineFields(line: string, delimiter: string): string[] {
  return (Papa.parse<string[]>(line, { delimiter }).data[0] ?? []).map((f) => f.trim());
}

/** Up to the first 256 KiB of the file (decompressed when .gz). */
export async function csvHead(path: string): Promise<Uint8Array> {
  const stream = openDecompressed(path, 1 << 16);
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const piece of stream) {
      parts.push(piece as Buffer);
      size += (piece as Buffer).length;
      if (size >= HEAD_BYTES) break;
    }
  } catch {
    // A truncated .gz still has a head; DuckDB reports the damage itself.
  } finally {
    stream.destroy();
  }
  return new Uint8Array(Buffer.concat(parts).subarray(0, HEAD_BYTES));
}

/**
 * Whether the head is the whole file and holds only blanks and line ends (a byte-order mark too):
 * DuckDB reads such a file as one column named column0 and blamed the delimiter.
 */
export function onlyBlankLines(head: Uint8Array): boolean {
  if (head.length >= HEAD_BYTES) return false;
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, "");
  return text.trim() === "";
}

/** UTF-16 when the file starts with its byte-order mark; else nothing is known. */
export function bomEncoding(head: Uint8Array): CsvEncoding | undefined {
  const [a, b] = head;
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) return "utf-16";
  return undefined;
}

/**
 * UTF-16 read as big-endian: its byte-order mark, or none and a first character that is ASCII
 * (its zero byte first). DuckDB decodes only little-endian UTF-16.
 */
export function isBigEndianUtf16(head: Uint8Array): boolean {
  const [a, b] = head;
  return (a === 0xfe && b === 0xff) || (a === 0 && b !== undefined && b !== 0 && b < 0x80);
}

function decode(head: Uint8Array, encoding: CsvEncoding): string {
  if (encoding === "utf-16") {
    return new TextDecoder(isBigEndianUtf16(head) ? "utf-16be" : "utf-16le").decode(head);
  }
  if (encoding === "latin-1" || encoding === "windows-1252") {
    return new TextDecoder("windows-1252").decode(head);
  }
  return new TextDecoder(encoding).decode(head);
}

/**
 * The first line (of the first 50) whose fields, split by one of the usual delimiters, include
 * every name: how many lines lie above it and the delimiter; null when none does.
 */
export function findHeaderLine(
  head: Uint8Array,
  encoding: CsvEncoding,
  names: string[],
): { skip: number; delimiter: string } | null {
  return headerLineWhere(head, encoding, holdsAll(names));
}

/** A header test: the line's fields include every one of `names`. */
export const holdsAll =
  (names: string[]) =>
  (fields: string[]): boolean =>
    names.every((n) => fields.includes(n));

/** The first line (of the first 50) whose fields `isHeader` takes, as findHeaderLine. */
export function headerLineWhere(
  head: Uint8Array,
  encoding: CsvEncoding,
  isHeader: (fields: string[]) => boolean,
): { skip: number; delimiter: string } | null {
  const lines = decode(head, encoding)
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/);
  for (let i = 0; i < Math.min(lines.length - 1, HEADER_SEARCH_LINES); i++) {
    const line = lines[i] as string;
    for (const delimiter of DELIMITERS) {
      if (!line.includes(delimiter)) continue;
      if (isHeader(lineFields(line, delimiter))) return { skip: i, delimiter };
    }
  }
  return null;
}

/**
 * A UTF-8 copy of a Windows-1252 / Latin-1 file in the temp folder (decompressed when .gz), for
 * DuckDB, whose own Latin-1 decoder refuses the bytes Windows puts € and curly quotes in; or of a
 * big-endian UTF-16 one, or one in another encoding (Big5, Shift_JIS, …), which DuckDB does not
 * decode. Each line break stays one, so line numbers stay those of the original.
 */
export async function utf8Copy(
  path: string,
  byLine = false,
  from: "windows-1252" | "utf-16be" | OtherEncoding = "windows-1252",
): Promise<TempCopy> {
  const dir = await tempCopyFolder("pp-csv-");
  const out = join(dir, "utf8.csv");
  const input = openDecompressed(path);
  const decoder = from === "windows-1252" ? fromWindows1252(byLine) : wholeFrom(from);
  const sink = createWriteStream(out);
  for await (const piece of input) {
    if (!sink.write(decoder.decode(piece as Buffer))) {
      await new Promise((resolve) => sink.once("drain", resolve));
    }
  }
  sink.write(decoder.end());
  await new Promise<void>((resolve, reject) =>
    sink.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
  return { path: out, remove: () => rm(dir, { recursive: true, force: true }), ...decoder.seen };
}

/** A copy of a file made to be read, and how its lines were decoded when line by line. */
export interface TempCopy {
  path: string;
  remove(): Promise<void>;
  lines?: LineEncodings;
}

/** Big-endian UTF-16 (its byte-order mark dropped) or another encoding to UTF-8 as a stream. */
export function wholeFrom(
  encoding: "utf-16be" | OtherEncoding,
): ReturnType<typeof fromWindows1252> {
  const whole = new TextDecoder(encoding);
  return {
    decode: (piece) => whole.decode(piece, { stream: true }),
    end: () => whole.decode(),
    seen: {},
  };
}

/**
 * Windows-1252 to UTF-8 as a stream; `byLine`: only the lines that are not UTF-8 already. A UTF-8
 * byte-order mark opening the file is dropped: decoded as Windows-1252 it became `ï»¿` in the
 * first column's name (an export tool that writes a BOM over Windows-1252 text), and no option
 * reached the column but that name.
 */
export function fromWindows1252(byLine: boolean): {
  decode(piece: Uint8Array): Uint8Array | string;
  end(): Uint8Array | string;
  seen: { lines?: LineEncodings };
} {
  let first = true;
  const withoutBom = (piece: Uint8Array) => {
    if (!first) return piece;
    first = false;
    const bom = piece[0] === 0xef && piece[1] === 0xbb && piece[2] === 0xbf;
    return bom ? piece.subarray(3) : piece;
  };
  if (byLine) {
    const lines = new LineByLineDecoder();
    return {
      decode: (piece) => lines.decode(withoutBom(piece)),
      end: () => lines.end(),
      seen: { lines: lines.seen },
    };
  }
  const whole = new TextDecoder("windows-1252");
  return {
    decode: (piece) => whole.decode(withoutBom(piece), { stream: true }),
    end: () => whole.decode(),
    seen: {},
  };
}
