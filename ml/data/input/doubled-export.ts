// An export appended to itself without its header (`tail -n +2 a.csv >> a.csv`, an export job run
// twice into one file): every line read twice doubled every customer's spend (Gamma-Gamma's γ
// 8.36 → 16.72) with the purchase days unchanged, and nothing said. A file whose data lines are
// two byte-identical halves is read once, as a `cat`-joined one is (many-files.ts). Equal lines
// within one file are otherwise kept: two equal lines of one invoice can be real.
import { copyFile, type FileHandle, open, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { DataQuality } from "./data-quality.ts";
import { partOfFile, readCopyOfFile } from "./many-files.ts";
import { tempCopyFolder } from "./temp-copies.ts";

/** A file of a header line and the same data lines twice: where its first copy ends. */
export interface DoubledExport {
  /** Bytes of the header and the first copy (what is read). */
  keptBytes: number;
  /** Data lines in each copy. */
  lines: number;
  /** The file's line number where the second copy starts. */
  secondStart: number;
}

const CHUNK = 1 << 20;
/** Fewer data lines than this: two equal halves may be chance (a log of two equal lines). */
const MIN_LINES = 10;

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** The file's data lines as two identical halves after its header line, or null (the usual case:
 * a first look at the halves' first bytes decides, so a normal file costs two small reads). */
export async function doubledExport(path: string): Promise<DoubledExport | null> {
  // Not a readable file (a missing one, a folder): the read says what it is.
  const file = await open(path, "r").catch(() => null);
  if (!file) return null;
  try {
    const size = (await file.stat()).size;
    const head = await readAt(file, 0, Math.min(size, 64 * 1024));
    const headerEnd = head.indexOf(0x0a) + 1;
    if (headerEnd === 0 || (size - headerEnd) % 2 !== 0) return null;
    const half = (size - headerEnd) / 2;
    const second = headerEnd + half;
    // The first copy ends a line, and the copies start alike; then every byte is compared.
    const [last] = await readAt(file, second - 1, 1);
    if (half === 0 || last !== 0x0a) return null;
    const look = Math.min(4096, half);
    const starts = [await readAt(file, headerEnd, look), await readAt(file, second, look)];
    if (!starts[0]?.equals(starts[1] as Buffer)) return null;
    let lines = 0;
    for (let at = 0; at < half; at += CHUNK) {
      const length = Math.min(CHUNK, half - at);
      const a = await readAt(file, headerEnd + at, length);
      const b = await readAt(file, second + at, length);
      if (!a.equals(b)) return null;
      for (let i = a.indexOf(0x0a); i !== -1; i = a.indexOf(0x0a, i + 1)) lines++;
    }
    if (lines < MIN_LINES) return null;
    return { keptBytes: second, lines, secondStart: lines + 2 };
  } finally {
    await file.close();
  }
}

/** Reads the header and the first copy only (a copy in the temp folder), saying what was left. */
export async function readDoubledOnce<T extends { quality: DataQuality }>(
  path: string,
  doubled: DoubledExport,
  read: (copy: string) => Promise<T>,
): Promise<T> {
  const dir = await tempCopyFolder("pp-join-");
  const copy = join(dir, "first-copy.csv");
  try {
    await copyFile(path, copy);
    await truncate(copy, doubled.keptBytes);
    const repeated = [
      { file: partOfFile(path, doubled.secondStart), of: partOfFile(path), lines: doubled.lines },
    ];
    return await readCopyOfFile(path, copy, repeated, read);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
