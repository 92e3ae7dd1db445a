// A one-shot command's guard against a PostgreSQL that stops answering without closing its
// connections (its host frozen or paused, a network dropping packets): postgres.js has no query
// timeout and the kernel keeps such a connection open, so the command waited for as long as the
// server did (`ml train --register` frozen mid-insert was still waiting after 90 s, and finished
// only when the server resumed). While the process has a handle open on a PostgreSQL URL
// (client.ts counts them), a fresh connection asks `select 1` every few seconds; once nothing has
// answered for `timeoutMs`, `onUnresponsive` is called (the CLI prints one line and exits, which
// closes its sockets: the server rolls back what was open once it resumes). Any answer counts,
// an error or a refused connection included (those reach the command's own queries at once);
// only silence does not, so the command's own long statements and lock waits never trip it.

import postgres from "postgres";
import { osDatabaseUser } from "./client.ts";
import { openPostgresUrls } from "./open-postgres-urls.ts";

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

  const probe = async (url: string): Promise<void> => {
    const user = osDatabaseUser(url);
    const sql = postgres(url, {
      max: 1,
      onnotice: () => {},
      fetch_types: false,
      // Longer than the timeout: a probe to a silent server stays in flight until it is given up.
      connect_timeout: Math.max(1, Math.ceil((2 * timeoutMs) / 1000)),
      ...(user && { user }),
    });
    try {
      await sql`select 1`;
      lastAnswer.set(url, performance.now());
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (!(typeof code === "string" && SILENT.has(code))) lastAnswer.set(url, performance.now());
    } finally {
      probes.delete(url);
      await sql.end({ timeout: 0 }).catch(() => {});
    }
  };

  const tick = (): void => {
    const open = openPostgresUrls();
    for (const url of lastAnswer.keys()) if (!open.includes(url)) lastAnswer.delete(url);
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

  const timer = setInterval(tick, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** `ML_DATABASE_TIMEOUT_SECONDS` (default 30; 0 turns the watchdog off), or a RangeError. */
export function databaseTimeoutSeconds(env: Record<string, string | undefined>): number {
  const raw = env.ML_DATABASE_TIMEOUT_SECONDS?.trim();
  if (raw === undefined || raw === "") return 30;
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(seconds)) {
    throw new RangeError(
      `ML_DATABASE_TIMEOUT_SECONDS: expected seconds (e.g. 30; 0 = wait for ever), got ${JSON.stringify(raw)}`,
    );
  }
  return seconds;
}
