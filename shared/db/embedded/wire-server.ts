// Serves one PGlite database over the PostgreSQL wire protocol on a loopback TCP port, so that
// every process (both services, the ml CLI, the keys CLI) reaches the embedded database through
// the same postgres.js client as a real server. PGlite is ONE session: connections take turns
// (wire-session.ts); each connection's bytes are split into messages by wire-connection.ts.

import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { Connection } from "./wire-connection.ts";
import { WireSession } from "./wire-session.ts";

export { lastReadyStatus } from "./wire-connection.ts";

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
  const session = new WireSession(pg, idleInTransactionMs);
  const sockets = new Set<Socket>();
  let served = 0;
  const server: Server = createServer((socket) => {
    served++;
    sockets.add(socket);
    accept(session, new Connection(socket, served), () => sockets.delete(socket));
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
      await session.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
