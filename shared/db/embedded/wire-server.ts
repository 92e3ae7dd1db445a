// Serves one PGlite database over the PostgreSQL wire protocol on a loopback TCP port, so that
// every process (both services, the ml CLI, the keys CLI) reaches the embedded database through
// the same postgres.js client as a real server. PGlite is ONE session: connections take turns
// (wire-session.ts); each connection's bytes are split into messages by wire-connection.ts.

import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { Connection } from "./wire-connection.ts";
import { WireSession } from "./wire-session.ts";

export interface WireServer {
  readonly host: string;
  readonly port: number;
  /** Connections served since start (for tests and logs). */
  readonly connectionsServed: number;
  /**
   * Stops serving. With `drainMs`, first lets the connections finish what they started: no new
   * connection is accepted, each is closed once idle (nothing queued, no transaction open), and
   * those still busy after `drainMs` are cut. Without, every connection is cut at once.
   */
  close(drainMs?: number): Promise<void>;
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
  /** When set, a connection must send it before its startup (wire-connection.ts SECRET_REQUEST). */
  secret?: string;
}

export async function serveOverWire(
  pg: PGlite,
  { host = "127.0.0.1", port = 0, idleInTransactionMs = 60_000, secret }: ServeOptions = {},
): Promise<WireServer> {
  const secretBytes = secret === undefined ? null : new TextEncoder().encode(secret);
  const session = new WireSession(pg, idleInTransactionMs);
  const connections = new Map<Socket, Connection>();
  let served = 0;
  const server: Server = createServer((socket) => {
    served++;
    const conn = new Connection(socket, served, secretBytes);
    connections.set(socket, conn);
    accept(session, conn, () => connections.delete(socket));
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
    async close(drainMs = 0) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await drain(session, connections, drainMs);
      await session.stop();
      for (const socket of connections.keys()) socket.destroy();
      await closed;
    },
  };
}

/**
 * How long a connection must stay idle, while draining, before the server closes it. This
 * project's clients close their own idle connections sooner (EMBEDDED_CLIENT_IDLE_S in
 * shared/db/client.ts), so this only reaches clients that never do (psql, an older process).
 */
const DRAIN_IDLE_MS = 3_000;

/**
 * Lets the connections finish, until none is left or `ms` have passed: a CLI ends its own when
 * its command is done, and a pooled connection (a service's, or a CLI's between statements)
 * closes itself once idle and reconnects on its next query, to the next host. The server closing
 * an idle connection itself raced the client's next statement: sent as the socket closed, it
 * failed with ECONNRESET (2 of 80 `ml models` started four at a time on a new store), and the
 * client could not tell whether it had run. Cutting them all at once, as before that, failed any
 * command under way whenever the CLI hosting the store finished first.
 */
async function drain(
  session: WireSession,
  connections: Map<Socket, Connection>,
  ms: number,
): Promise<void> {
  const idleSince = new Map<Connection, number>();
  for (const deadline = Date.now() + ms; connections.size > 0 && Date.now() < deadline; ) {
    const now = Date.now();
    for (const [socket, conn] of connections) {
      if (!session.isIdle(conn)) {
        idleSince.delete(conn);
        continue;
      }
      const since = idleSince.get(conn) ?? now;
      idleSince.set(conn, since);
      if (now - since < DRAIN_IDLE_MS) continue;
      connections.delete(socket);
      socket.end();
    }
    if (connections.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Wires one connection's socket events to the session. */
function accept(session: WireSession, conn: Connection, forget: () => void): void {
  const { socket } = conn;
  socket.setNoDelay(true);
  session.join(conn);
  const drop = () => {
    forget();
    session.left(conn);
  };
  socket.on("data", (data: Buffer) => {
    const taken = conn.take(data);
    if (taken === "close") {
      socket.end();
      drop();
      return;
    }
    conn.pending.push(...taken);
    session.received(conn);
  });
  socket.on("close", drop);
  socket.on("error", drop);
}
