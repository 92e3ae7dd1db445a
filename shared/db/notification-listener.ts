// Keeps a PostgreSQL LISTEN open on a connection of its own, across dropped connections and server
// restarts. postgres.js's `sql.listen` re-issues LISTEN once after a drop and gives up silently if
// the server is still down then; this retries with backoff until the server answers, and calls
// `onListen` each time it listens anew, because what was notified meanwhile is lost.

import type postgres from "postgres";

export interface NotificationHandlers {
  onNotify(payload: string): void;
  /** Listening (again): the caller catches up on what it may have missed. */
  onListen(): void;
  /** LISTEN failed or the connection dropped; a retry is scheduled. */
  onError?(error: unknown): void;
}

export interface NotificationListener {
  /** True between a successful LISTEN and the connection's loss. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** The options a listening client needs beyond the caller's connection options. */
export interface ListenerClientOptions {
  onnotify: (channel: string, payload: string) => void;
  onclose: () => void;
}

/** Milliseconds before the `attempt`-th retry: 0.1 s doubling to 2 s. */
export function listenRetryDelay(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 2000);
}

/**
 * LISTENs on `channel` through the single-connection client `connect` returns (it must pass the
 * given callbacks to postgres.js as `onnotify` and `onclose`).
 */
export function listenForNotifications(
  connect: (options: ListenerClientOptions) => postgres.Sql,
  channel: string,
  handlers: NotificationHandlers,
  retryDelay: (attempt: number) => number = listenRetryDelay,
): NotificationListener {
  let closed = false;
  let listening = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const retryLater = () => {
    if (closed || timer) return;
    timer = setTimeout(subscribe, retryDelay(attempt++));
    (timer as { unref?: () => void }).unref?.();
  };
  const sql = connect({
    onnotify: (name, payload) => {
      if (name === channel) handlers.onNotify(payload);
    },
    onclose: () => {
      if (closed || !listening) return;
      listening = false;
      handlers.onError?.(new Error(`the connection listening on "${channel}" closed`));
      retryLater();
    },
  });
  async function subscribe(): Promise<void> {
    timer = null;
    if (closed) return;
    try {
      await sql.unsafe(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      if (closed) return;
      handlers.onError?.(error);
      retryLater();
      return;
    }
    attempt = 0;
    listening = true;
    handlers.onListen();
  }
  void subscribe();
  return {
    get listening() {
      return listening && !closed;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await sql.end({ timeout: 1 });
    },
  };
}
