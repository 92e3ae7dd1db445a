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
