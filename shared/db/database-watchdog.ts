// A one-shot command's guard against a PostgreSQL that stops answering without closing its
// connections (its host frozen or paused, a network dropping packets): postgres.js has no query
// timeout and the kernel keeps such a connection open, so the command waited for as long as the
// server did (`ml train --register` frozen mid-insert was still waiting after 90 s, and finished
// only when the server resumed). While the process has a handle open on a PostgreSQL URL
// (client.ts counts them), a connection of the watchdog's own asks `select 1` every few seconds;
// once nothing has answered for `timeoutMs`, `onUnresponsive` is called (the CLI prints one line and exits, which
// closes its sockets: the server rolls back what was open once it resumes). Any answer counts,
// an error or a refused connection included (those reach the command's own queries at once);
// only silence does not, so the command's own long statements and lock waits never trip it.
// The probe connection stays open between probes (closed when the URL is released): a probe is then
// one round trip, answered by the next turn of the event loop however long the command's own turns
// take. A fresh connection per probe needed three or four turns, and on a loaded machine, where
// `ml score` turned its loop every half second, outlasted a 3 s timeout on a healthy database.

import postgres from "postgres";
import { plainDecimalFrom } from "../contracts/plain-decimal.ts";
import { osDatabaseUser } from "./client.ts";
import { onPostgresUrlReleased, openPostgresUrls } from "./open-postgres-urls.ts";

export interface DatabaseWatchdogOptions {
  /** Silence, in ms, after which the database is given up on. */
  timeoutMs: number;
  /** Called once per silent URL; the CLI exits from it. */
  onUnresponsive: (url: string, silentMs: number) => void;
}

/** Socket and driver codes that mean nothing answered (as opposed to a refusal or an error). */
const SILENT = new Set(["CONNECT_TIMEOUT", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** Starts watching; returns a function that stops it. Its timer never keeps the process alive. */
export function startDatabaseWatchdog(options: DatabaseWatchdogOptions): () => void {
  const { timeoutMs } = options;
  const intervalMs = Math.max(100, Math.min(5_000, timeoutMs / 3));
  const lastAnswer = new Map<string, number>();
  /** Per URL, the probe in flight and how many ticks have passed since it was sent. */
  const probes = new Map<string, { ticks: number }>();
  const given = new Set<string>();

  /** Per URL, the watchdog's own connection (one, kept open while the URL is held). */
  const clients = new Map<string, postgres.Sql>();
  const close = (url: string): void => {
    const sql = clients.get(url);
    clients.delete(url);
    probes.delete(url);
    lastAnswer.delete(url);
    void sql?.end({ timeout: 0 }).catch(() => {});
  };
  const clientFor = (url: string): postgres.Sql => {
    const existing = clients.get(url);
    if (existing) return existing;
    const user = osDatabaseUser(url);
    const sql = postgres(url, {
      max: 1,
      onnotice: () => {},
      fetch_types: false,
      idle_timeout: 0,
      // Longer than the timeout: a probe to a silent server stays in flight until it is given up.
      connect_timeout: Math.max(1, Math.ceil((2 * timeoutMs) / 1000)),
      ...(user && { user }),
    });
    clients.set(url, sql);
    return sql;
  };

  const probe = async (url: string): Promise<void> => {
    const sql = clientFor(url);
    try {
      await sql`select 1`;
      if (clients.get(url) === sql) lastAnswer.set(url, performance.now());
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const silent = typeof code === "string" && SILENT.has(code);
      if (!silent && clients.get(url) === sql) lastAnswer.set(url, performance.now());
    } finally {
      if (clients.get(url) === sql) probes.delete(url);
    }
  };

  const tick = (): void => {
    const open = openPostgresUrls();
    for (const url of open) {
      const last = lastAnswer.get(url);
      if (last === undefined) lastAnswer.set(url, performance.now()); // counted from here
      const inFlight = probes.get(url);
      if (!inFlight) {
        probes.set(url, { ticks: 0 });
        void probe(url);
        continue;
      }
      inFlight.ticks++;
      // Silent: nothing answered for the timeout, and the probe waited through two whole
      // intervals of this thread's event loop (a thread busy past the timeout read no answer yet).
      const since = lastAnswer.get(url) ?? performance.now();
      if (inFlight.ticks >= 2 && performance.now() - since >= timeoutMs && !given.has(url)) {
        given.add(url);
        options.onUnresponsive(url, performance.now() - since);
      }
    }
  };

  const unsubscribe = onPostgresUrlReleased(close);
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    unsubscribe();
    for (const url of [...clients.keys()]) close(url);
  };
}

/** `ML_DATABASE_TIMEOUT_SECONDS` (default 30; 0 turns the watchdog off), or a RangeError. */
export function databaseTimeoutSeconds(env: Record<string, string | undefined>): number {
  const raw = env.ML_DATABASE_TIMEOUT_SECONDS?.trim();
  if (raw === undefined || raw === "") return 30;
  const seconds = plainDecimalFrom(raw);
  if (seconds === null || seconds < 0) {
    throw new RangeError(
      `ML_DATABASE_TIMEOUT_SECONDS: expected seconds (e.g. 30; 0 = wait for ever), got ${JSON.stringify(raw)}`,
    );
  }
  return seconds;
}
