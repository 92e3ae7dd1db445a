// Serves one PGlite database over the PostgreSQL wire protocol on a loopback TCP port, so that
// every process (both services, the ml CLI, the keys CLI) reaches the embedded database through
// the same postgres.js client as a real server. PGlite is ONE session: connections take turns.
// A connection holds the session from its first message until PGlite answers ReadyForQuery with
// status idle ('I'), so a transaction or an extended-protocol exchange (Parse .. Sync) is never
// interleaved with another connection's messages; a connection that leaves mid-transaction is
// rolled back before the next one gets the session.

import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** Sync, then a simple-protocol ROLLBACK: ends whatever a vanished connection left open. */
const RESET_MESSAGES = [Uint8Array.of(0x53, 0, 0, 0, 4), queryMessage("ROLLBACK")];

function queryMessage(sql: string): Uint8Array {
  const text = new TextEncoder().encode(`${sql}\0`);
  const out = new Uint8Array(5 + text.length);
  out[0] = 0x51; // 'Q'
  new DataView(out.buffer).setInt32(1, 4 + text.length);
  out.set(text, 5);
  return out;
}

/** The status byte of the last ReadyForQuery in a backend output, or null when there is none. */
export function lastReadyStatus(out: Uint8Array): string | null {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let status: string | null = null;
  let at = 0;
  while (at + 5 <= out.length) {
    const length = view.getInt32(at + 1);
    if (out[at] === 0x5a && length === 5 && at + 5 < out.length) {
      status = String.fromCharCode(out[at + 5] as number);
    }
    at += 1 + length;
  }
  return status;
}

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  readonly pending: Uint8Array[] = [];
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
      const message = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (message[0] === 0x58) return "close"; // Terminate: the session itself stays
      messages.push(new Uint8Array(message));
    }
    return messages;
  }
}

export interface WireServer {
  readonly host: string;
  readonly port: number;
  /** Connections served since start (for tests and logs). */
  readonly connectionsServed: number;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 = any free port) and serves `pg` to every connection. */
export interface ServeOptions {
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /**
   * A connection that holds the session inside a transaction and sends nothing for this long
   * is disconnected (and so rolled back), like PostgreSQL's idle_in_transaction_session_timeout:
   * one stuck client must not stop every other process. Default 60 s.
   */
  idleInTransactionMs?: number;
}

export async function serveOverWire(
  pg: PGlite,
  { host = "127.0.0.1", port = 0, idleInTransactionMs = 60_000 }: ServeOptions = {},
): Promise<WireServer> {
  const waiting: Connection[] = [];
  const sockets = new Set<Socket>();
  let owner: Connection | null = null;
  let running = false;
  let served = 0;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;

  /** Arms the idle-in-transaction timer for the owner that is waiting for its own next message. */
  const watchIdleOwner = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    const idle = owner;
    if (!idle || idle.closed || idle.pending.length > 0) return;
    idleTimer = setTimeout(() => {
      if (owner === idle && idle.pending.length === 0) idle.socket.destroy();
    }, idleInTransactionMs);
    (idleTimer as { unref?: () => void }).unref?.();
  };

  const release = async (conn: Connection) => {
    if (owner !== conn) return;
    if (conn.closed) {
      for (const m of RESET_MESSAGES) await pg.runExclusive(() => pg.execProtocolRaw(m));
    }
    owner = null;
  };

  // One loop runs PGlite: it serves the owner's messages, and when the owner is idle, the next
  // waiting connection's.
  const pump = async () => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        if (owner?.closed) await release(owner);
        const conn: Connection | null | undefined =
          owner ?? waiting.find((c) => c.pending.length > 0 || c.closed);
        if (!conn) break;
        if (conn.closed && conn !== owner) {
          waiting.splice(waiting.indexOf(conn), 1);
          continue;
        }
        const message = conn.pending.shift();
        if (!message) break; // the owner is mid-transaction and has sent nothing more yet
        owner = conn;
        const out = await pg.runExclusive(() => pg.execProtocolRaw(message));
        if (out.length > 0 && !conn.closed) conn.socket.write(out);
        if (lastReadyStatus(out) === "I") {
          owner = null;
          // Fairness: a connection that just finished goes behind the others.
          const at = waiting.indexOf(conn);
          if (at >= 0) waiting.push(...waiting.splice(at, 1));
        }
      }
    } finally {
      running = false;
      watchIdleOwner();
    }
  };

  let nextId = 1;
  const server: Server = createServer((socket) => {
    served++;
    sockets.add(socket);
    socket.setNoDelay(true);
    const conn = new Connection(socket, nextId++);
    waiting.push(conn);
    const drop = () => {
      if (conn.closed) return;
      conn.closed = true;
      sockets.delete(socket);
      conn.pending.length = 0;
      void pump();
    };
    socket.on("data", (data: Buffer) => {
      const taken = conn.take(data);
      if (taken === "close") {
        socket.end();
        drop();
        return;
      }
      conn.pending.push(...taken);
      if (owner === conn && idleTimer) {
        clearTimeout(idleTimer); // the owner spoke: it is not idle
        idleTimer = null;
      }
      void pump();
    });
    socket.on("close", drop);
    socket.on("error", drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    host,
    port: boundPort,
    get connectionsServed() {
      return served;
    },
    async close() {
      if (idleTimer) clearTimeout(idleTimer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
