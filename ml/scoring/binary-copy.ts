// A streaming parser of PostgreSQL's binary COPY format (COPY ... TO STDOUT (FORMAT binary)) for
// the columns `ml score` reads: text, float8 and float8[]. Binary COPY skips the server's float-to-
// text formatting and the client's parsing, which dominated reading stored customers otherwise.

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

export type BinaryField = Uint8Array | null;

/**
 * Incremental parser: feed() the stream's chunks (split anywhere), then call next() until it
 * returns null (needs more bytes); `done` turns true at the trailer. Rows are views into the
 * buffer, valid until the next feed().
 */
export class BinaryCopyParser {
  private buffer = new Uint8Array(0);
  private view = new DataView(this.buffer.buffer);
  private offset = 0;
  private headerDone = false;
  done = false;

  feed(chunk: Uint8Array): void {
    const rest = this.buffer.subarray(this.offset);
    const joined = new Uint8Array(rest.length + chunk.length);
    joined.set(rest);
    joined.set(chunk, rest.length);
    this.buffer = joined;
    this.view = new DataView(joined.buffer, joined.byteOffset, joined.byteLength);
    this.offset = 0;
  }

  /** Field starts (byte offsets into `buffer`) and lengths (-1: NULL) of the row nextRow() found. */
  readonly starts = new Int32Array(64);
  readonly lengths = new Int32Array(64);
  /** Field count of that row. */
  fieldCount = 0;

  /** The parsed bytes; nextRow()'s offsets point into it. */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  /**
   * Finds the next complete row without allocating: its fields are `starts`/`lengths`, read with
   * float8At / float8ArrayAt / textAt. False when more bytes are needed (or at the end).
   */
  nextRow(): boolean {
    const { buffer, view } = this;
    if (this.done) return false;
    if (!this.headerDone) {
      if (buffer.length < 19) return false;
      if (!SIGNATURE.every((b, i) => buffer[i] === b))
        throw new Error("COPY binary: bad signature");
      const extension = view.getInt32(15);
      if (buffer.length < 19 + extension) return false;
      this.offset = 19 + extension;
      this.headerDone = true;
    }
    let p = this.offset;
    if (p + 2 > buffer.length) return false;
    const count = view.getInt16(p);
    if (count === -1) {
      this.done = true;
      return false;
    }
    if (count > this.starts.length) throw new Error(`COPY binary: ${count} fields in a row`);
    p += 2;
    for (let f = 0; f < count; f++) {
      if (p + 4 > buffer.length) return false;
      const length = view.getInt32(p);
      p += 4;
      this.starts[f] = p;
      this.lengths[f] = length;
      if (length === -1) continue;
      if (p + length > buffer.length) return false;
      p += length;
    }
    this.fieldCount = count;
    this.offset = p;
    return true;
  }

  /** Field f of the current row as a float8 (NaN when NULL). */
  float8At(f: number): number {
    return this.lengths[f]! === 8 ? this.view.getFloat64(this.starts[f]!) : Number.NaN;
  }

  /** Field f of the current row (a 1-d float8[]) into out[at ..]; its element count (NULL elements become NaN). */
  float8ArrayAt(f: number, out: Float32Array, at: number, max: number): number {
    if (this.lengths[f]! < 0) return 0;
    const { view } = this;
    const start = this.starts[f]!;
    const ndim = view.getInt32(start);
    if (ndim === 0) return 0;
    if (ndim !== 1) throw new Error(`COPY binary: expected a 1-dimensional array, got ${ndim}`);
    const n = view.getInt32(start + 12);
    if (n > max) return n;
    let p = start + 20;
    for (let i = 0; i < n; i++) {
      const length = view.getInt32(p);
      p += 4;
      out[at + i] = length === -1 ? Number.NaN : view.getFloat64(p);
      if (length > 0) p += length;
    }
    return n;
  }

  /** Field f of the current row as UTF-8 text (ASCII without a decoder call). */
  textAt(f: number, decoder: TextDecoder): string {
    const start = this.starts[f]!;
    const length = this.lengths[f]!;
    if (length <= 0) return "";
    const { buffer } = this;
    if (length <= 32) {
      let ascii = true;
      for (let i = start; i < start + length; i++) {
        if (buffer[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii)
        return String.fromCharCode.apply(
          null,
          buffer.subarray(start, start + length) as unknown as number[],
        );
    }
    return decoder.decode(buffer.subarray(start, start + length));
  }

  /** The next complete row's fields, or null when more bytes are needed (or at the end). */
  next(fields: BinaryField[]): BinaryField[] | null {
    if (!this.nextRow()) return null;
    fields.length = this.fieldCount;
    for (let f = 0; f < this.fieldCount; f++) {
      const length = this.lengths[f]!;
      const start = this.starts[f]!;
      fields[f] = length === -1 ? null : this.buffer.subarray(start, start + length);
    }
    return fields;
  }
}
