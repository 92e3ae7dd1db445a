// Where a UTF-16 file breaks: DuckDB refuses a file holding half a character (an unpaired
// surrogate) as "File is not utf-16 encoded", without a line; this finds the line to name.

import { createReadStream } from "node:fs";

/** Code units of a line kept for the message: enough to recognise it. */
const SHOWN = 200;

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;

/** The file's UTF-16 code units, in the byte order its mark says (little-endian without one). */
async function* codeUnits(path: string): AsyncGenerator<number> {
  let littleEndian = true;
  let first = true;
  let odd: number | null = null; // a chunk's last byte, the first half of a unit
  for await (const chunk of createReadStream(path, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    const bytes: Buffer = odd === null ? chunk : Buffer.concat([Buffer.from([odd]), chunk]);
    if (first && bytes.length >= 2) littleEndian = !(bytes[0] === 0xfe && bytes[1] === 0xff);
    first = false;
    const even = bytes.length - (bytes.length % 2);
    for (let i = 0; i < even; i += 2)
      yield littleEndian ? bytes.readUInt16LE(i) : bytes.readUInt16BE(i);
    odd = bytes[even] ?? null; // an odd length leaves one byte past the last even index
  }
}

/** The first line (1-based) holding an unpaired surrogate and its text (U+FFFD for it); null when none. */
export async function loneSurrogateLine(
  path: string,
): Promise<{ line: number; text: string } | null> {
  let line = 1;
  let shown: number[] = [];
  let previous = 0;
  let bad = false;
  for await (const unit of codeUnits(path)) {
    // A high half not followed by a low one, or a low one without its high half.
    if (isHigh(previous) !== isLow(unit)) bad = true;
    previous = unit;
    if (unit !== 0x0a) {
      if (shown.length < SHOWN) shown.push(unit);
      continue;
    }
    if (bad) return { line, text: textOf(shown) };
    line++;
    shown = [];
  }
  return bad || isHigh(previous) ? { line, text: textOf(shown) } : null;
}

/** A line's code units as text, a lone surrogate as U+FFFD, the byte-order mark and CR left out. */
function textOf(units: number[]): string {
  const whole = units.map((u, i) =>
    (isHigh(u) && isLow(units[i + 1] ?? 0)) || (isLow(u) && isHigh(units[i - 1] ?? 0))
      ? u
      : isHigh(u) || isLow(u)
        ? 0xfffd
        : u,
  );
  return String.fromCharCode(...whole)
    .replace(/^\ufeff/, "")
    .replace(/\r$/, "");
}
