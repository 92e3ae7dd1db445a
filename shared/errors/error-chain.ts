// An error and the causes it wraps (drizzle wraps the driver's error, AppError wraps its cause):
// classifiers look through all of them.

/** The error and its causes, outermost first (bounded: causes can form a cycle). */
export function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let current = err;
  for (let i = 0; i < 8 && current !== undefined && current !== null; i++) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}
