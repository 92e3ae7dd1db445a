// A CSV whose lines are not all UTF-8, decoded line by line: a line that is valid UTF-8 stays as
// it is, any other is read as Windows-1252. One stray byte made the whole file Windows-1252 (1,286
// of 1,501 UTF-8 e-mail ids garbled), and two exports joined, one of each, split every customer
// found in both into two.
import { isAscii, isUtf8 } from "node:buffer";

const LF = 0x0a;
/** Line numbers kept for messages. */
const EXAMPLES = 5;

export interface LineEncodings {
  /** Lines read as Windows-1252 (not UTF-8). */
  windows1252: number;
  /** Lines with characters past ASCII that are valid UTF-8, kept as they are. */
  utf8: number;
  /** The first few Windows-1252 lines (1-based physical line numbers). */
  examples: number[];
}

export class LineByLineDecoder {
  private rest: Buffer = Buffer.alloc(0);
  /** Lines finished so far. */
  private lines = 0;
  private readonly windows1252 = new TextDecoder("windows-1252");
  readonly seen: LineEncodings = { windows1252: 0, utf8: 0, examples: [] };

  /** The complete lines of what came so far, as UTF-8; a line's start is held for the next piece. */
  decode(piece: Uint8Array): Buffer {
    const bytes = this.rest.length > 0 ? Buffer.concat([this.rest, piece]) : Buffer.from(piece);
    const end = bytes.lastIndexOf(LF) + 1;
    this.rest = Buffer.from(bytes.subarray(end));
    return this.lineByLine(bytes.subarray(0, end));
  }

  /** The last line, if the file does not end with a line end. */
  end(): Buffer {
    const last = this.lineByLine(this.rest);
    this.rest = Buffer.alloc(0);
    return last;
  }

  private lineByLine(block: Buffer): Buffer {
    // Most blocks are all ASCII (or all UTF-8): counted, not split.
    if (isAscii(block)) {
      this.lines += count(block);
      return block;
    }
    const out: Buffer[] = [];
    for (let from = 0; from < block.length; ) {
      const at = block.indexOf(LF, from);
      const to = at < 0 ? block.length : at + 1;
      out.push(this.oneLine(block.subarray(from, to)));
      from = to;
    }
    return Buffer.concat(out);
  }

  private oneLine(line: Buffer): Buffer {
    this.lines++;
    if (isAscii(line)) return line;
    if (isUtf8(line)) {
      this.seen.utf8++;
      return line;
    }
    this.seen.windows1252++;
    if (this.seen.examples.length < EXAMPLES) this.seen.examples.push(this.lines);
    return Buffer.from(this.windows1252.decode(line));
  }
}

function count(block: Buffer): number {
  let n = 0;
  for (let at = block.indexOf(LF); at >= 0; at = block.indexOf(LF, at + 1)) n++;
  return n;
}
