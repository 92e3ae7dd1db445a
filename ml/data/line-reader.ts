// Streams a text file line by line with a manual chunk splitter (faster than node:readline, and
// constant memory), calling back with each line and its 1-based line number. Node APIs (Bun too).

import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/**
 * The file's bytes as a stream, decompressed on the fly when its name ends in .gz (as DuckDB
 * decides, by extension). Destroying the stream closes the file too.
 */
export function openDecompressed(path: string, chunkBytes = 1 << 20): Readable {
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  if (!/\.gz$/i.test(path)) return file;
  const gunzip = createGunzip();
  gunzip.once("close", () => file.destroy());
  file.once("error", (error) => gunzip.destroy(error)); // pipe() alone would leave a reader waiting
  return file.pipe(gunzip);
}

/**
 * Calls `onLine(line, lineNumber)` for every line of the file, without the line terminator
 * (`\n` or `\r\n`) and without a leading UTF-8 byte-order mark; `.gz` files are decompressed. A final empty line is not reported.
 */
export async function forEachLine(
  path: string,
  onLine: (line: string, lineNumber: number) => void,
): Promise<void> {
  const stream = openDecompressed(path);
  stream.setEncoding("utf8");
  let carry = "";
  let lineNumber = 0;
  let first = true;
  for await (const piece of stream) {
    let chunk = carry + (piece as string);
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", from);
      if (nl < 0) break;
      const end = nl > from && chunk.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(chunk.slice(from, end), ++lineNumber);
      from = nl + 1;
    }
    carry = from === 0 ? chunk : chunk.slice(from);
  }
  if (carry.length > 0) {
    const end = carry.charCodeAt(carry.length - 1) === 13 ? carry.length - 1 : carry.length;
    onLine(carry.slice(0, end), ++lineNumber);
  }
}
