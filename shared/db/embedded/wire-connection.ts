// One client connection of the embedded wire server: splits its bytes into PostgreSQL protocol
// messages, remembers the named prepared statements it created (closed when it goes away, since
// every connection shares one PGlite session), and hands its queued messages to PGlite as one input.

import type { Socket } from "node:net";
import { withoutCopyIn } from "./copy-in-refusal.ts";
import { CLOSE, closeStatementMessage, PARSE, SYNC_MESSAGE, textAt } from "./wire-messages.ts";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/**
 * Before its startup message, a client of a server with a secret sends this request code and the
 * secret (the host's lock, readable by its OS user only): the server answers 'N' and then takes
 * the startup; a startup without it is refused. Without, any local user or process could connect
 * with any user name and read or write every table (decisions, customers, API keys: an admin key
 * inserted by hand). Not a PostgreSQL code (those are 1234 << 16 | 5678..5680).
 */
export const SECRET_REQUEST = 80877199;

/** ErrorResponse (FATAL 28P01) answered to a startup without the secret. */
const NOT_ADMITTED = errorResponse(
  "28P01",
  'password authentication failed: this embedded store\'s password is the "secret" in DATA_DIR/pglite.lock (PGPASSWORD)',
);
/** AuthenticationCleartextPassword. */
const ASK_PASSWORD = Uint8Array.of(0x52, 0, 0, 0, 8, 0, 0, 0, 3);
const PASSWORD = 0x70; // 'p'

function errorResponse(code: string, message: string): Uint8Array {
  const fields = new TextEncoder().encode(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`);
  const out = new Uint8Array(5 + fields.length);
  out[0] = 0x45; // 'E'
  new DataView(out.buffer).setInt32(1, 4 + fields.length);
  out.set(fields, 5);
  return out;
}
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

  /** Whether the client sent the server's secret (always, for a server without one). */
  private admitted: boolean;
  /** A startup waiting for the secret as its password. */
  private heldStartup: Uint8Array | null = null;

  constructor(
    readonly socket: Socket,
    readonly id: number,
    private readonly secret: Uint8Array | null = null,
  ) {
    this.admitted = secret === null;
  }

  /** The secret request's bytes hold the server's secret (compared without stopping early). */
  private holdsSecret(message: Buffer): boolean {
    const secret = this.secret as Uint8Array;
    const given = message.subarray(8);
    let diff = given.length ^ secret.length;
    for (let i = 0; i < secret.length; i++) diff |= (given[i] ?? 0) ^ secret[i]!;
    return diff === 0;
  }

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
        if (code === SECRET_REQUEST && this.secret !== null) {
          if (!this.holdsSecret(message)) return "close";
          this.admitted = true;
          this.socket.write("N");
          continue;
        }
        this.started = true;
        if (!this.admitted) {
          // psql and other clients: the secret as a password (PGPASSWORD), asked for in clear
          // text over loopback; the startup reaches PGlite once it is given.
          this.heldStartup = new Uint8Array(message);
          this.socket.write(ASK_PASSWORD);
          continue;
        }
        messages.push(new Uint8Array(message));
        continue;
      }
      if (this.buffer.length < 5) break;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) break;
      const message = new Uint8Array(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      if (message[0] === TERMINATE) return "close"; // the session itself stays
      if (this.heldStartup) {
        const password = message[0] === PASSWORD ? textAt(message, 5).text : "";
        if (!this.holdsSecret(Buffer.from(`${"\0".repeat(8)}${password}`))) {
          // Said, so a client fails at once instead of retrying.
          this.socket.write(NOT_ADMITTED);
          return "close";
        }
        messages.push(this.heldStartup);
        this.heldStartup = null;
        continue;
      }
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
