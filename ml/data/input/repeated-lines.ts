// Lines a later export repeats from an earlier one: exports that overlap ("the last 30 days", run
// every week; a month re-exported with a day of the next) would count those purchases twice. A
// line of a later file equal to a line of an earlier file is read once, as overlapping workbook
// sheets are (sheet-repeats.ts); equal lines within one file are kept (two equal lines of one
// invoice can be real). Numbers are compared as written less trailing decimal zeros. Lines are remembered by a 64-bit fingerprint in typed arrays, so a
// folder of large exports costs about 24 bytes a line, not a string each.

/** Bytes that end a field: `,` `;` tab `|` `"` CR LF. */
const FIELD_END = new Uint8Array(256);
for (const c of [44, 59, 9, 124, 34, 13, 10]) FIELD_END[c] = 1;
const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 48 && byte <= 57;

/**
 * Where the decimals of a number end when they end in zeros (`13085.0`, `10.50`): the bytes of
 * [dot, keep) are the number's own and those of [keep, resume) its trailing zeros (the dot too
 * when every decimal is 0); null when the dot starts no such decimals.
 */
function trailingZeros(bytes: Uint8Array, dot: number, end: number): [number, number] | null {
  let j = dot + 1;
  let keep = dot;
  for (; j < end && isDigit(bytes[j]); j++) if (bytes[j] !== 48) keep = j + 1;
  if (j === dot + 1 || (j < end && FIELD_END[bytes[j]!] === 0)) return null;
  return keep === j ? null : [keep, j];
}

/**
 * Two 32-bit FNV-1a hashes of bytes [start, end) with different offsets: a 64-bit fingerprint.
 * A number written with trailing decimal zeros hashes as without them: one export writes an id
 * `13085.0` (pandas' float) or a price `10.50` where another writes `13085` and `10.5`, and
 * the lines of the same purchases must still be found equal (read twice, every overlapping
 * customer's spend doubled).
 */
function fingerprint(bytes: Uint8Array, start: number, end: number): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === 46 && i > start && isDigit(bytes[i - 1])) {
      const zeros = trailingZeros(bytes, i, end);
      if (zeros !== null) {
        for (let k = i; k < zeros[0]; k++) {
          a = Math.imul(a ^ bytes[k]!, 0x01000193);
          b = Math.imul(b ^ bytes[k]!, 0x01000193) ^ (b >>> 15);
        }
        i = zeros[1] - 1;
        continue;
      }
    }
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193) ^ (b >>> 15);
  }
  return [a >>> 0, b >>> 0];
}

/** An open-addressing set of fingerprints, each with the index of the file it was first seen in. */
export class SeenLines {
  private low = new Uint32Array(1 << 16);
  private high = new Uint32Array(1 << 16);
  private file = new Int32Array(1 << 16).fill(-1);
  private size = 0;

  /**
   * The file an equal line was first seen in, remembering this one as a line of `file` when it
   * is new: a result below `file` is a repeat; `file` itself means new to the earlier files (equal
   * lines of one file are not repeats of each other).
   */
  firstSeenIn(bytes: Uint8Array, start: number, end: number, file: number): number {
    const [a, b] = fingerprint(bytes, start, end);
    const seen = this.file[this.slot(a, b)]!;
    if (seen !== -1) return seen;
    this.addFingerprint(a, b, file);
    return file;
  }

  private addFingerprint(a: number, b: number, file: number): void {
    const at = this.slot(a, b);
    if (this.file[at] !== -1) return;
    this.low[at] = a;
    this.high[at] = b;
    this.file[at] = file;
    if (++this.size * 2 > this.file.length) this.grow();
  }

  /** The slot holding (a, b), or the empty slot where it goes (linear probing). */
  private slot(a: number, b: number): number {
    const mask = this.file.length - 1;
    let at = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    while (this.file[at] !== -1 && (this.low[at] !== a || this.high[at] !== b)) {
      at = (at + 1) & mask;
    }
    return at;
  }

  private grow(): void {
    const { low, high, file } = this;
    this.low = new Uint32Array(low.length * 2);
    this.high = new Uint32Array(low.length * 2);
    this.file = new Int32Array(low.length * 2).fill(-1);
    this.size = 0;
    for (let i = 0; i < file.length; i++) {
      if (file[i] !== -1) this.addFingerprint(low[i]!, high[i]!, file[i]!);
    }
  }
}

/**
 * Whole lines of one file, with their quoting state: a line inside a quoted field (a record
 * spread over lines) is never taken for a repeat, since it is not a record of its own.
 */
export class LineScanner {
  private inQuotes = false;

  /** Calls `onLine(start, end, whole)` for each line [start, end) of `bytes` (ending in \n). */
  scan(bytes: Uint8Array, onLine: (start: number, end: number, whole: boolean) => void): void {
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(10, start);
      if (end < 0) end = bytes.length;
      let quotes = 0;
      for (let i = start; i < end; i++) if (bytes[i] === 34) quotes++;
      const opensInQuotes = this.inQuotes;
      if (quotes % 2 === 1) this.inQuotes = !this.inQuotes;
      onLine(start, end, !opensInQuotes && !this.inQuotes && end > start);
      start = end + 1;
    }
  }
}
