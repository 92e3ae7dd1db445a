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

  /** The next complete row's fields, or null when more bytes are needed (or at the end). */
  next(fields: BinaryField[]): BinaryField[] | null {
    const { buffer, view } = this;
    if (this.done) return null;
    if (!this.headerDone) {
      if (buffer.length < 19) return null;
      if (!SIGNATURE.every((b, i) => buffer[i] === b))
        throw new Error("COPY binary: bad signature");
      const extension = view.getInt32(15);
      if (buffer.length < 19 + extension) return null;
      this.offset = 19 + extension;
      this.headerDone = true;
    }
    let p = this.offset;
    if (p + 2 > buffer.length) return null;
    const count = view.getInt16(p);
    if (count === -1) {
      this.done = true;
      return null;
    }
    p += 2;
    fields.length = count;
    for (let f = 0; f < count; f++) {
      if (p + 4 > buffer.length) return null;
      const length = view.getInt32(p);
      p += 4;
      if (length === -1) {
        fields[f] = null;
        continue;
      }
      if (p + length > buffer.length) return null;
      fields[f] = buffer.subarray(p, p + length);
      p += length;
    }
    this.offset = p;
    return fields;
  }
}

/** A float8 field. */
export function float8Of(field: BinaryField): number {
  if (field === null) return Number.NaN;
  return new DataView(field.buffer, field.byteOffset, 8).getFloat64(0);
}

/**
 * Writes a one-dimensional float8[] field into out[at ..]; returns its element count (NULL
 * elements become NaN).
 */
export function float8ArrayInto(
  field: BinaryField,
  out: Float32Array,
  at: number,
  max: number,
): number {
  if (field === null) return 0;
  const view = new DataView(field.buffer, field.byteOffset, field.byteLength);
  const ndim = view.getInt32(0);
  if (ndim === 0) return 0;
  if (ndim !== 1) throw new Error(`COPY binary: expected a 1-dimensional array, got ${ndim}`);
  const n = view.getInt32(12);
  if (n > max) return n;
  let p = 20;
  for (let i = 0; i < n; i++) {
    const length = view.getInt32(p);
    p += 4;
    if (length === -1) {
      out[at + i] = Number.NaN;
      continue;
    }
    out[at + i] = view.getFloat64(p);
    p += length;
  }
  return n;
}
