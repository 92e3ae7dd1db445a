// Request body size limit answering 413 `payload_too_large` in the shared error shape. A declared
// Content-Length is checked without touching the body (reading `request.body` turns it into a
// stream, which cost ~5 µs of a small request); a streamed body without one is counted as it
// arrives (hono/body-limit), so a missing Content-Length does not get past it either.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors/app-error.ts";
import { unreadableBodyError } from "../errors/validation.ts";
import type { AppEnv } from "./app-env.ts";

/** Bun.serve's maxRequestBodySize: body limits are bodySizeLimit's (a JSON 413 naming the
 * limit); Bun's own, 128 MiB by default, answered a bare 413 before the app saw the request. */
export const BUN_MAX_REQUEST_BODY_SIZE = Number.MAX_SAFE_INTEGER;

export function bodySizeLimit(maxBytes: number, hint = ""): MiddlewareHandler<AppEnv> {
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
    try {
      return await limited(c, () => {
        reached = true;
        return next();
      });
    } catch (err) {
      throw reached || err instanceof AppError ? err : unreadableBodyError(err);
    }
  };
  // Not async: it only passes on next()'s promise (an async wrapper cost a promise per request).
  return function bodySizeLimit(c, next) {
    const headers = c.req.raw.headers;
    const declared = headers.get("content-length");
    // The server reads no more than a declared length; with Transfer-Encoding it is not the length.
    if (declared === null || headers.has("transfer-encoding")) return streamed(c, next);
    if (Number.parseInt(declared, 10) > maxBytes) tooLarge();
    return next();
  };
}
