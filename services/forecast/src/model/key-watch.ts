// What stands in for LISTEN where the database cannot push (the embedded store): a cheap read of
// the source's key (one row of model_versions) every few hundred milliseconds, signalling only
// when it changed. The poll (MODEL_POLL_INTERVAL_MS, 30 s) alone left a customer erased by
// `ml forget` served by id, and decided about from their erased summary, for up to 30 s: the
// decision log's writers skip such decisions only up to 1 s after the erasure (2,128 rows about
// a forgotten customer written 1–4 s after `ml forget` in a probe). PostgreSQL pushes instead.

/** How often the key is read: a change is acted on well inside the erasure's 1 s window. */
const KEY_CHECK_INTERVAL_MS = 250;

export interface KeyWatch {
  stop(): void;
}

/**
 * Reads `currentKey` every `intervalMs` (skipped while the previous read is still out, or when it
 * returns null: nothing to read yet) and calls `onChange` when the key differs from the last one
 * read, the first read included (what changed before it is unknown). A failed read is left to the
 * poll, which logs and counts failures.
 */
export function watchKey(
  currentKey: () => Promise<string | null>,
  onChange: () => void,
  intervalMs = KEY_CHECK_INTERVAL_MS,
): KeyWatch {
  let last: string | null = null;
  let reading = false;
  const check = async () => {
    if (reading) return;
    reading = true;
    try {
      const key = await currentKey();
      if (key !== null && key !== last) {
        last = key;
        onChange();
      }
    } catch {
      // The poll reports an unreadable registry; the next read tries again.
    } finally {
      reading = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  (timer as { unref?: () => void }).unref?.();
  return { stop: () => clearInterval(timer) };
}
