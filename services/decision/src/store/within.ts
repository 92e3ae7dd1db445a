// Bounds a database read in time: a driver can wait long on a server that went away, and a
// background refresh stuck forever would never refresh again. `within` fails at the bound;
// `atMost` gives up waiting there and answers undefined.

import { joinable, requestScope } from "@pp/shared/process/request-scope.ts";

class TimedOutError extends Error {
  override readonly name = "TimedOutError";
  readonly code = "TIMEOUT";
}

/** `promise`, or a TimedOutError after `ms` (the promise itself is left to settle). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimedOutError(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`'s value, or undefined once `ms` have passed (the promise itself is left to settle). */
export async function atMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One read at a time, also after its callers gave up on it (a read stuck on a lock is waited on
 * again, not joined by another); one older than `staleMs` (a connect that hangs) is left behind.
 */
export class ReadInFlight<T> {
  private current: { read: Promise<T>; since: number; scope: object | undefined } | null = null;

  constructor(private readonly now: () => number) {}

  /** The read in flight if it is younger than `staleMs` (and this request's, on Workers), else `start()`'s. */
  get(start: () => Promise<T>, staleMs: number): Promise<T> {
    const current = this.current;
    if (current && joinable(current.scope) && this.now() - current.since < staleMs) {
      return current.read;
    }
    const entry = { read: start(), since: this.now(), scope: requestScope() };
    entry.read
      .finally(() => {
        if (this.current === entry) this.current = null;
      })
      .catch(() => {});
    this.current = entry;
    return entry.read;
  }

  /** Not waited on again (it began before a change the next read must see). */
  forget(): void {
    this.current = null;
  }
}
