// Request body size limit answering 413 `payload_too_large` in the shared error shape. A declared
// Content-Length is checked without touching the body (reading `request.body` turns it into a
// stream, which cost ~5 µs of a small request); a streamed body without one is counted as it
// arrives (hono/body-limit), so a missing Content-Length does not get past it either. A body that
// has not arrived within `readTimeoutMs` is a 408 `request_timeout` (see bun-serve-options.ts).
import type { Context, MiddlewareHandler, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors/app-error.ts";
import { unreadableBodyError } from "../errors/validation.ts";
import type { AppEnv } from "./app-env.ts";
import { DEFAULT_BODY_READ_TIMEOUT_MS } from "./bun-serve-options.ts";

/** 408: the body did not arrive in time (a client too slow, or stalled mid-upload). */
export function bodyReadTimeoutError(ms: number): AppError {
  const message = `not received in full within ${ms} ms (BODY_READ_TIMEOUT_MS)`;
  return new AppError("request_timeout", `Request body ${message}; send it faster or split it`, {
    details: [{ path: "body", message }],
  });
}

/** `reading` or, if it has not settled within `ms`, a 408 (the timer is cleared either way). */
async function withinDeadline<T>(reading: Promise<T>, ms: number): Promise<T> {
  // A body already in (most small ones) settles within a microtask: no timer for it (a timer and
  // a race cost ~9 µs of a one-customer /forecast on Bun).
  let settled = false;
  const done = () => {
    settled = true;
  };
  reading.then(done, done);
  await undefined;
  if (settled) return reading;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bodyReadTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([reading, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function bodySizeLimit(
  maxBytes: number,
  hint = "",
  readTimeoutMs = DEFAULT_BODY_READ_TIMEOUT_MS,
): MiddlewareHandler<AppEnv> {
  const tooLarge = (): never => {
    throw new AppError(
      "payload_too_large",
      `Request body exceeds ${maxBytes} bytes${hint ? `; ${hint}` : ""}`,
      { details: [{ path: "body", message: `larger than ${maxBytes} bytes` }] },
    );
  };
  const limited = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  // hono's bodyLimit reads a streamed body before next(): a failure before next() is the read's.
  const streamed: MiddlewareHandler<AppEnv> = async (c, next) => {
    let reached = false;
    // Set when the read failed or ran out of time: the answer is out (408/400), and a body that
    // still arrives in full afterwards must not run the handler for a request already refused.
    let abandoned = false;
    let markRead = () => {};
    const read = new Promise<void>((resolve) => {
      markRead = resolve;
    });
    const handled = limited(c, async () => {
      if (abandoned) return;
      reached = true;
      markRead();
      return next();
    });
    try {
      // The deadline covers the read only: once next() runs, the handler takes its own time.
      if (c.req.raw.body) await withinDeadline(Promise.race([read, handled]), readTimeoutMs);
      return await handled;
    } catch (err) {
      abandoned = !reached;
      throw reached || err instanceof AppError ? err : unreadableBodyError(err);
    }
  };
  // A declared length is read here under the deadline; the handler's read comes from Hono's cache.
  const declaredRead = async (c: Context<AppEnv>, next: Next) => {
    try {
      await withinDeadline(c.req.arrayBuffer(), readTimeoutMs);
    } catch (err) {
      throw err instanceof AppError ? err : unreadableBodyError(err);
    }
    return next();
  };
  // Not async: it only passes on next()'s promise (an async wrapper cost a promise per request).
  return function bodySizeLimit(c, next) {
    const headers = c.req.raw.headers;
    const declared = headers.get("content-length");
    // The server reads no more than a declared length; with Transfer-Encoding it is not the length.
    if (declared === null || headers.has("transfer-encoding")) return streamed(c, next);
    const length = Number.parseInt(declared, 10);
    if (length > maxBytes) tooLarge();
    return length > 0 ? declaredRead(c, next) : next();
  };
}
