// Which request the running code serves: on Workers, the Hyperdrive entry's per-request scope;
// elsewhere none (one process, every request may join another's work).
// On Workers a promise belongs to the request that made it: once that request has ended (a
// client hung up, or it answered before a read it began had finished), another request awaiting
// it fails at once ("This promise was created by a request that has since ended") and the
// maker's `finally` never runs, so shared in-flight work stayed shared, and failing, for good.

let scopeOf: () => object | undefined = () => undefined;

/** Set by the Workers entry: how to tell the current request. */
export function setRequestScope(current: () => object | undefined): void {
  scopeOf = current;
}

/** The current request's scope (undefined outside Workers). */
export function requestScope(): object | undefined {
  return scopeOf();
}

/** Work begun in `scope` that the current request may join (its own, or any off Workers). */
export function joinable(scope: object | undefined): boolean {
  return scope === scopeOf();
}

/**
 * One piece of work in flight at a time, shared by the callers that may join it (`joinable`: the
 * same request on Workers, any caller elsewhere); a caller that may not starts its own, which
 * becomes the current one. Done, the work clears itself only if still current: another request's
 * later work must not be forgotten by the first's end.
 */
export class SharedInFlight<T> {
  private entry: { work: Promise<T>; scope: object | undefined; since: number } | null = null;

  /** `staleMs`: work begun longer ago than this (by `now`) is not joined (a connect that hangs). */
  constructor(private readonly options: { staleMs?: number; now?: () => number } = {}) {}

  /** The work in flight this request may join and that is not stale, else undefined. */
  current(): Promise<T> | undefined {
    const entry = this.entry;
    if (!entry || !joinable(entry.scope)) return undefined;
    const { staleMs, now = Date.now } = this.options;
    if (staleMs !== undefined && now() - entry.since >= staleMs) return undefined;
    return entry.work;
  }

  /** The work in flight whichever request began it (on Workers, awaiting another's may fail). */
  inFlight(): Promise<T> | undefined {
    return this.entry?.work;
  }

  /** The work this request may join, else `start()`'s (now the current one). */
  run(start: () => Promise<T>): Promise<T> {
    const joined = this.current();
    if (joined) return joined;
    const { now = Date.now } = this.options;
    const entry = { work: start(), scope: requestScope(), since: now() };
    this.entry = entry;
    entry.work
      .finally(() => {
        if (this.entry === entry) this.entry = null;
      })
      .catch(() => {});
    return entry.work;
  }

  /** Not joined again (it began before a change the next one must see); it still runs. */
  forget(): void {
    this.entry = null;
  }
}
