// A CSV whose line ends change partway (two exports joined with `cat`, one from Windows; a CRLF
// header over LF rows): DuckDB's sniffer refuses it, and a read pinned to one line end fails at
// the first line of the other. Such a file is read from a copy with every CRLF outside quotes
// written as LF (a quoted CRLF is a value's own line break, kept; a lone CR is kept too). So is a
// file whose lines end CR CR LF (Python's csv.writer on Windows without newline=''), which the
// sniffer refused whatever options were passed.

import { createWriteStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { openDecompressed } from "../line-reader.ts";
import { fromWindows1252, type TempCopy, wholeFrom } from "./csv-head.ts";
import type { OtherEncoding } from "./log-input.ts";
import { tempCopyFolder } from "./temp-copies.ts";

const CR = 13;
const LF = 10;
const QUOTE = 34;
/** Where a quote may open a field: line start or a usual delimiter (an inch mark `12"` is not). */
const FIELD_START = new Uint8Array(256);
for (const b of [LF, CR, 44, 59, 9, 124]) FIELD_START[b] = 1;
const TAIL_BYTES = 1 << 16;

/**
 * Line ends outside quoted fields, chunk by chunk. A quote opens a field only at its start and
 * closes it unless doubled, so a stray mid-field quote does not flip what is quoted.
 */
export class LineEndScanner {
  crlf = 0;
  lf = 0;
  /** CRLFs with another CR before them (CR CR LF). */
  doubledCr = 0;
  private state: "out" | "in" | "quote" = "out";
  private previous = LF;
  private beforePrevious = LF;

  /** Scans `bytes`; `onEnd(i)` for each LF outside quotes, after the counts include it. */
  scan(bytes: Uint8Array, onEnd?: (at: number, crlf: boolean) => void): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.state === "quote" && b === QUOTE)
        this.state = "in"; // "" inside quotes
      else {
        if (this.state === "quote") this.state = "out";
        if (this.state === "in") {
          if (b === QUOTE) this.state = "quote";
        } else if (b === QUOTE && FIELD_START[this.previous] === 1) {
          this.state = "in";
        } else if (b === LF) {
          const crlf = this.previous === CR;
          if (crlf) this.crlf++;
          else this.lf++;
          if (crlf && this.beforePrevious === CR) this.doubledCr++;
          onEnd?.(i, crlf);
        }
      }
      this.beforePrevious = this.previous;
      this.previous = b;
    }
  }

  /** Whether the file is read from an LF copy: CRLF and LF both, or CR CR LF. */
  get mixed(): boolean {
    return (this.crlf > 0 && this.lf > 0) || this.doubledCr > 0;
  }
}

type LineEnd = "crlf" | "lf" | "crcrlf";

/** The line ends in `bytes`, quotes not minded: a native search, for the common uniform file. */
function lineEndsIn(bytes: Uint8Array): Set<LineEnd> {
  const seen = new Set<LineEnd>();
  for (let at = bytes.indexOf(LF); at >= 0 && seen.size < 2; at = bytes.indexOf(LF, at + 1)) {
    const crlf = at > 0 && bytes[at - 1] === CR;
    seen.add(crlf ? (at > 1 && bytes[at - 2] === CR ? "crcrlf" : "crlf") : "lf");
  }
  return seen;
}

/** The head's line end outside quotes, "mixed" for both (or CR CR LF), null for none. */
function headLineEnd(head: Uint8Array): LineEnd | "mixed" | null {
  const seen = lineEndsIn(head);
  if (seen.size < 2 && !seen.has("crcrlf")) return [...seen][0] ?? null;
  const scanner = new LineEndScanner(); // both, but maybe one only inside quoted values
  scanner.scan(head);
  if (scanner.mixed) return "mixed";
  return scanner.crlf > 0 ? "crlf" : scanner.lf > 0 ? "lf" : null;
}

/** The last line end of a plain file's final 64 KiB; null when there is none. */
async function lastLineEnd(path: string, size: number): Promise<LineEnd | null> {
  const file = await open(path, "r");
  try {
    const length = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(length);
    await file.read(tail, 0, length, size - length);
    const at = tail.lastIndexOf(LF);
    if (at < 0) return null;
    if (at === 0 || tail[at - 1] !== CR) return "lf";
    return at > 1 && tail[at - 2] === CR ? "crcrlf" : "crlf";
  } finally {
    await file.close();
  }
}

/**
 * Whether the file mixes CRLF and LF, judged cheaply: both in its head, or its last line end
 * (a `cat`-joined export at the end) not the head's. A .gz's tail would cost a whole pass.
 */
export async function headOrTailMixLineEnds(path: string, head: Uint8Array): Promise<boolean> {
  const first = headLineEnd(head);
  if (first === "mixed") return true;
  if (first === null || /\.gz$/i.test(path)) return false;
  const size = (await stat(path)).size;
  if (size <= head.length) return false;
  const last = await lastLineEnd(path, size);
  return last !== null && last !== first;
}

/** Whether any line end outside quotes differs from another: a pass over the whole file. */
export async function fileHasMixedLineEnds(path: string): Promise<boolean> {
  const scanner = new LineEndScanner();
  const stream = openDecompressed(path);
  try {
    for await (const piece of stream) {
      scanner.scan(piece as Buffer);
      if (scanner.mixed) return true;
    }
    return false;
  } finally {
    stream.destroy();
  }
}

/**
 * `bytes` to write, the CRs right before each LF outside quotes left out (CRLF's one, CR CR LF's
 * two). CRs ending `bytes` are held back (an LF may open the next bytes); held CRs go first
 * unless they were a line end's.
 */
function withoutCrs(
  scanner: LineEndScanner,
  bytes: Buffer,
  held: number,
): { out: Buffer; held: number } {
  const pieces: Buffer[] = held > 0 ? [Buffer.alloc(held, CR)] : [];
  let from = 0;
  scanner.scan(bytes, (at, crlf) => {
    if (!crlf) return;
    let start = at;
    while (start > from && bytes[start - 1] === CR) start--;
    // At 0, the CRs held back from the previous bytes end this line too.
    if (start === 0) pieces.length = 0;
    else pieces.push(bytes.subarray(from, start));
    from = at;
  });
  let holds = 0;
  while (bytes.length - holds > from && bytes[bytes.length - holds - 1] === CR) holds++;
  pieces.push(bytes.subarray(from, bytes.length - holds));
  return { out: Buffer.concat(pieces), held: holds };
}

/**
 * A copy of the file (decompressed when .gz; decoded to UTF-8 when asked: `true` from
 * Windows-1252, or from the encoding named) with CRLF line ends outside quotes as LF, in the temp
 * folder. Lines keep their numbers.
 */
export async function lfCopy(
  path: string,
  decodeFrom: boolean | OtherEncoding,
  byLine = false,
): Promise<TempCopy> {
  const dir = await tempCopyFolder("pp-csv-");
  const out = join(dir, "lf.csv");
  const decoder =
    decodeFrom === true ? fromWindows1252(byLine) : decodeFrom ? wholeFrom(decodeFrom) : null;
  const scanner = new LineEndScanner();
  const sink = createWriteStream(out);
  let held = 0;
  try {
    for await (const piece of openDecompressed(path)) {
      const bytes = decoder ? Buffer.from(decoder.decode(piece as Buffer)) : piece;
      const next = withoutCrs(scanner, bytes as Buffer, held);
      held = next.held;
      if (!sink.write(next.out)) await new Promise((resolve) => sink.once("drain", resolve));
    }
    if (decoder) {
      const next = withoutCrs(scanner, Buffer.from(decoder.end()), held);
      held = next.held;
      sink.write(next.out);
    }
    if (held > 0) sink.write(Buffer.alloc(held, CR));
    await new Promise<void>((resolve, reject) =>
      sink.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
  } catch (error) {
    sink.destroy();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    path: out,
    remove: () => rm(dir, { recursive: true, force: true }),
    ...(decoder?.seen ?? {}),
  };
}
