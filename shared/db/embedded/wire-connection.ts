// One client connection of the embedded wire server: splits its bytes into PostgreSQL protocol
// messages, remembers the named prepared statements it created (closed when it goes away, since
// every connection shares one PGlite session), and hands its queued messages to PGlite as one input.

import type { Socket } from "node:net";
import { withoutCopyIn } from "./copy-in-refusal.ts";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PARSE = 0x50; // 'P'
const CLOSE = 0x43; // 'C'
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'

/** A simple-protocol Query message. */
export function queryMessage(sql: string): Uint8Array {
  const text = new TextEncoder().encode(`${sql}\0`);
  const out = new Uint8Array(5 + text.length);
  out[0] = 0x51; // 'Q'
  new DataView(out.buffer).setInt32(1, 4 + text.length);
  out.set(text, 5);
  return out;
}

/** Sync: ends an extended-protocol exchange (and whatever error it was skipping to). */
export const SYNC_MESSAGE = Uint8Array.of(0x53, 0, 0, 0, 4);

/** A Close message for the prepared statement `name` (closing one that does not exist is no error). */
export function closeStatementMessage(name: string): Uint8Array {
  const text = new TextEncoder().encode(`S${name}\0`);
  const out = new Uint8Array(5 + text.length);
  out[0] = CLOSE;
  new DataView(out.buffer).setInt32(1, 4 + text.length);
  out.set(text, 5);
  return out;
}

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

/** The NUL-terminated name at the start of a message body (statement name of Parse / Close). */
function leadingName(message: Uint8Array, from: number): string {
  const end = message.indexOf(0, from);
  return new TextDecoder().decode(message.subarray(from, end < 0 ? message.length : end));
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
      const name = leadingName(message, 5);
      if (name) this.statements.add(name);
    } else if (message[0] === CLOSE && message[5] === 0x53) {
      this.statements.delete(leadingName(message, 6));
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
