// Bounds a wait in time: a driver can wait long on a server that went away, a model source can
// stall, and a background refresh stuck forever would never refresh again. `within` fails at the
// bound; `atMost` gives up waiting there and answers undefined.

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
