// One client connection of the embedded wire server: splits its bytes into PostgreSQL protocol
// messages, remembers the named prepared statements it created (closed when it goes away, since
// every connection shares one PGlite session), and hands its queued messages to PGlite as one input.

import type { Socket } from "node:net";
import { withoutCopyIn } from "./copy-in-refusal.ts";
import { CLOSE, closeStatementMessage, PARSE, SYNC_MESSAGE, textAt } from "./wire-messages.ts";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'

/**
 * The status byte of the ReadyForQuery that ends a backend output, or null when the output ends
 * with anything else: a client may pipeline an exchange behind a finished one (postgres.js sends
 * Parse, Describe, Flush for a query's parameter types, then Bind .. Sync), and until its own
 * Sync is answered the unnamed statement it parsed is its own.
 */
export function readyStatusAtEnd(out: Uint8Array): string | null {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let status: string | null = null;
  let at = 0;
  while (at + 5 <= out.length) {
    const length = view.getInt32(at + 1);
    const next = out[at + 5];
    status =
      out[at] === READY_FOR_QUERY && length === 5 && next !== undefined
        ? String.fromCharCode(next)
        : null;
    at += 1 + length;
  }
  return status;
}

export class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  readonly pending: Uint8Array[] = [];
  /** Named prepared statements this connection has asked for and not closed. */
  readonly statements = new Set<string>();
  closed = false;

  constructor(
    readonly socket: Socket,
    readonly id: number,
  ) {}

  /** Splits what arrived into whole protocol messages; answers SSL/GSS requests itself. */
  take(data: Buffer): Uint8Array[] | "close" {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    const messages: Uint8Array[] = [];
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) break;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) break;
        const code = this.buffer.readInt32BE(4);
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST) return "close"; // a single session cannot cancel a peer
        this.started = true;
        messages.push(new Uint8Array(message));
        continue;
      }
      if (this.buffer.length < 5) break;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) break;
      const message = new Uint8Array(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      if (message[0] === TERMINATE) return "close"; // the session itself stays
      this.noteStatement(message);
      messages.push(withoutCopyIn(message));
    }
    return messages;
  }

  private noteStatement(message: Uint8Array): void {
    if (message[0] === PARSE) {
      const name = textAt(message, 5).text;
      if (name) this.statements.add(name);
    } else if (message[0] === CLOSE && message[5] === 0x53) {
      this.statements.delete(textAt(message, 6).text);
    }
  }

  /**
   * Everything queued, as ONE input for PGlite (it runs the messages in order, as a server reads
   * a socket): one exchange with the database instead of one per message. The startup message
   * goes alone, since PGlite recognises it by its first byte.
   */
  takeExchange(): Uint8Array | undefined {
    const first = this.pending[0];
    if (!first || first[0] === 0 || this.pending.length === 1) return this.pending.shift();
    let length = 0;
    let count = 0;
    for (const m of this.pending) {
      if (m[0] === 0) break;
      length += m.length;
      count++;
    }
    const input = new Uint8Array(length);
    let at = 0;
    for (const m of this.pending.splice(0, count)) {
      input.set(m, at);
      at += m.length;
    }
    return input;
  }

  /** What to run for a connection that went away: close its statements (then Sync). */
  farewell(): Uint8Array[] {
    if (this.statements.size === 0) return [];
    const messages = [...this.statements].map(closeStatementMessage);
    this.statements.clear();
    return [...messages, SYNC_MESSAGE];
  }
}
