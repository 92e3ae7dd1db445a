// Bounds a database read in time: a driver can wait long on a server that went away, and a
// background refresh stuck forever would never refresh again.

export class TimedOutError extends Error {
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
