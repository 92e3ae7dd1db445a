// The turn-taking over ONE PGlite session shared by every wire connection. A connection holds the
// session from its first message until PGlite answers ReadyForQuery with status idle ('I'), so a
// transaction or an extended-protocol exchange (Parse .. Sync) is never interleaved with another
// connection's messages; a connection that leaves mid-transaction is rolled back, and the named
// statements of one that leaves are closed, before the next one gets the session.

import type { PGlite } from "@electric-sql/pglite";
import { type Connection, readyStatusAtEnd } from "./wire-connection.ts";
import { queryMessage, SYNC_MESSAGE } from "./wire-messages.ts";

/** Sync, then a simple-protocol ROLLBACK: ends whatever a vanished connection left open. */
const RESET_MESSAGES = [SYNC_MESSAGE, queryMessage("ROLLBACK")];

export class WireSession {
  private readonly waiting: Connection[] = [];
  private owner: Connection | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly pg: PGlite,
    private readonly idleInTransactionMs: number,
  ) {}

  /** A new connection joins the queue. */
  join(conn: Connection): void {
    this.waiting.push(conn);
  }

  /** `conn` sent messages (already in its `pending`). */
  received(conn: Connection): void {
    if (this.owner === conn && this.idleTimer) {
      clearTimeout(this.idleTimer); // the owner spoke: it is not idle
      this.idleTimer = null;
    }
    void this.pump();
  }

  /** `conn` went away: what it queued is dropped; it is cleaned up on its next turn. */
  left(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.pending.length = 0;
    void this.pump();
  }

  /** Whether `conn` has nothing under way: not holding the session, nothing queued. */
  isIdle(conn: Connection): boolean {
    return this.owner !== conn && conn.pending.length === 0;
  }

  /** Serves nothing more; resolves once the exchange under way (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.running;
  }

  // One loop runs PGlite: it serves the owner's messages, and when the owner is idle, the next
  // waiting connection's. `running` is cleared in the same turn the loop finds nothing to do, so
  // a message that arrives later always starts a new loop.
  private async pump(): Promise<void> {
    if (this.running) return;
    let done = () => {};
    this.running = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      while (!this.stopped) {
        const conn = this.nextTurn();
        if (!conn) break;
        if (conn.closed) {
          await this.farewell(conn);
          continue;
        }
        const input = conn.takeExchange();
        if (!input) break; // the owner is mid-transaction and has sent nothing more yet
        await this.serve(conn, input);
      }
    } finally {
      this.running = null;
      done();
      this.watchIdleOwner();
    }
  }

  /** The owner while it holds the session, else the first waiting connection with work. */
  private nextTurn(): Connection | undefined {
    return this.owner ?? this.waiting.find((c) => c.pending.length > 0 || c.closed);
  }

  /** One exchange: the connection's queued messages in, PGlite's answer back to its socket. */
  private async serve(conn: Connection, input: Uint8Array): Promise<void> {
    this.owner = conn;
    const out = await this.exchange(input);
    if (out.length > 0 && !conn.closed) conn.socket.write(out);
    if (readyStatusAtEnd(out) === "I") {
      this.owner = null;
      // Fairness: a connection that just finished goes behind the others.
      const at = this.waiting.indexOf(conn);
      if (at >= 0) this.waiting.push(...this.waiting.splice(at, 1));
    }
  }

  /** A connection that went away: roll back what it held open, close its statements, forget it. */
  private async farewell(conn: Connection): Promise<void> {
    const messages = [...(this.owner === conn ? RESET_MESSAGES : []), ...conn.farewell()];
    for (const m of messages) await this.exchange(m);
    if (this.owner === conn) this.owner = null;
    const at = this.waiting.indexOf(conn);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  private exchange(input: Uint8Array): Promise<Uint8Array> {
    return this.pg.runExclusive(() => this.pg.execProtocolRaw(input));
  }

  /** Arms the idle-in-transaction timer for the owner that is waiting for its own next message. */
  private watchIdleOwner(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const idle = this.owner;
    if (!idle || idle.closed || idle.pending.length > 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.owner === idle && idle.pending.length === 0) idle.socket.destroy();
    }, this.idleInTransactionMs);
    (this.idleTimer as { unref?: () => void }).unref?.();
  }
}
