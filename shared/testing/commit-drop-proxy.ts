// Test support: a TCP proxy in front of PostgreSQL that, once armed, passes a client's COMMIT on to
// the server and then cuts that client's connection before the server's answer reaches it. The
// transaction commits; the client sees a lost connection (the answer lost after COMMIT).
import { connect, createServer, type Socket } from "node:net";

export interface CommitDropProxy {
  /** The database URL, through the proxy. */
  url: string;
  /**
   * The next COMMIT of a connection that sent `statementText` (e.g. a table's name) is passed on
   * and its answer dropped, with the connection: only the transaction under test is cut.
   */
  arm(statementText: string): void;
  /** How many COMMITs had their answer dropped so far. */
  dropped(): number;
  close(): Promise<void>;
}

// Long enough for the server to run the COMMIT it was sent before its client's socket goes.
const SERVER_LINGER_MS = 1000;

/** The NUL-terminated text at `at` in `message`, and where the next one starts. */
function cString(message: Buffer, at: number): [string, number] {
  const end = message.indexOf(0, at);
  return [message.toString("utf8", at, end), end + 1];
}

/**
 * Follows one client's messages: whether it sent `marker` in a statement, and whether a message
 * runs COMMIT. postgres.js prepares `commit` once per connection (Parse) and then only binds the
 * prepared statement by name (Bind), so the names are remembered.
 */
class FrontendReader {
  private pending = Buffer.alloc(0);
  private started = false;
  private readonly commitStatements = new Set<string>();
  marked = false;

  /** Reads a chunk; true when it holds a COMMIT after the marker was seen. */
  read(chunk: Buffer, marker: Buffer | null): boolean {
    this.pending = Buffer.concat([this.pending, chunk]);
    let commits = false;
    for (;;) {
      // The startup message has no type byte; every later one has.
      const head = this.started ? 5 : 4;
      if (this.pending.length < head) break;
      const length = this.pending.readInt32BE(head - 4) + (head - 4);
      if (this.pending.length < length) break;
      const message = this.pending.subarray(0, length);
      this.pending = this.pending.subarray(length);
      if (!this.started) {
        this.started = true;
        continue;
      }
      if (marker && message.includes(marker)) this.marked = true;
      commits = this.runsCommit(message) || commits;
    }
    return commits && this.marked;
  }

  private runsCommit(message: Buffer): boolean {
    const type = String.fromCharCode(message[0] ?? 0);
    if (type === "Q") return isCommit(cString(message, 5)[0]);
    if (type === "P") {
      const [name, next] = cString(message, 5);
      if (isCommit(cString(message, next)[0])) this.commitStatements.add(name);
      return false;
    }
    if (type === "B") {
      const [, next] = cString(message, 5);
      return this.commitStatements.has(cString(message, next)[0]);
    }
    return false;
  }
}

const isCommit = (text: string) => text.trim().toLowerCase() === "commit";

export async function startCommitDropProxy(databaseUrl: string): Promise<CommitDropProxy> {
  const target = new URL(databaseUrl);
  let armed: Buffer | null = null;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let cut = false;
    const reader = new FrontendReader();
    client.on("data", (chunk: Buffer) => {
      if (cut) return;
      upstream.write(chunk);
      if (!reader.read(chunk, armed) || !armed) return;
      armed = null;
      cut = true;
      dropped++;
      client.destroy();
      setTimeout(() => upstream.destroy(), SERVER_LINGER_MS);
    });
    upstream.on("data", (chunk) => {
      if (!cut) client.write(chunk);
    });
    const end = () => {
      if (!cut) {
        client.destroy();
        upstream.destroy();
      }
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const proxied = new URL(databaseUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    arm: (statementText) => {
      armed = Buffer.from(statementText);
    },
    dropped: () => dropped,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
