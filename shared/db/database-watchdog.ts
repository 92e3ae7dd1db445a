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
  const probing = new Set<string>();
  const given = new Set<string>();

  const probe = async (url: string): Promise<void> => {
    probing.add(url);
    const user = osDatabaseUser(url);
    const sql = postgres(url, {
      max: 1,
      onnotice: () => {},
      fetch_types: false,
      connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
      ...(user && { user }),
    });
    let deadline: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        sql`select 1`,
        new Promise((_, reject) => {
          deadline = setTimeout(
            () => reject(Object.assign(new Error("silent"), { code: "ETIMEDOUT" })),
            timeoutMs,
          );
        }),
      ]);
      lastAnswer.set(url, performance.now());
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (!(typeof code === "string" && SILENT.has(code))) lastAnswer.set(url, performance.now());
    } finally {
      clearTimeout(deadline);
      probing.delete(url);
      await sql.end({ timeout: 0 }).catch(() => {});
    }
  };

  const tick = async (): Promise<void> => {
    const open = openPostgresUrls();
    for (const url of lastAnswer.keys()) if (!open.includes(url)) lastAnswer.delete(url);
    for (const url of open) {
      const last = lastAnswer.get(url);
      if (last === undefined) {
        lastAnswer.set(url, performance.now()); // silence counts from the handle's first tick
      } else if (performance.now() - last >= timeoutMs && !given.has(url)) {
        // A probe's answer that came while this thread was busy is read before deciding.
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        const since = lastAnswer.get(url);
        if (since !== undefined && performance.now() - since >= timeoutMs) {
          given.add(url);
          options.onUnresponsive(url, performance.now() - since);
          continue;
        }
      }
      if (!probing.has(url)) void probe(url);
    }
  };

  const timer = setInterval(() => void tick(), intervalMs);
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
