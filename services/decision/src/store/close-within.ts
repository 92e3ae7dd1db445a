// Closes a database handle without waiting forever: postgres.js `end()` can hang on pool
// connections that died during an outage, and a shutdown must not.
import type { DatabaseHandle } from "@pp/shared/db/client.ts";

/** Resolves true when closed in time, false when given up after `timeoutMs`. */
export async function closeWithin(handle: DatabaseHandle, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, false);
  });
  try {
    return await Promise.race([
      handle.close().then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
