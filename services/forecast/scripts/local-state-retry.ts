// Retries one operation on wrangler's local state. A running `wrangler dev` keeps the same SQLite
// files open, and a second miniflare touching them now and then gets SQLITE_BUSY, surfaced to JS
// only as "internal error; reference = …". The operations retried (local-bindings.ts: R2
// get/head/list/put/delete, KV get/put) are idempotent, so trying again is safe.
// `beforeRetry` may repair what failed first (local-bindings.ts reopens a proxy that broke).
export async function retryLocalState<T>(
  operation: () => Promise<T>,
  attempts = 8,
  delayMs = 150,
  beforeRetry?: (error: unknown, attempt: number) => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
      await beforeRetry?.(error, attempt);
    }
  }
}
