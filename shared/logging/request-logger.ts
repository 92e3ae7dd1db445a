// Middleware: assigns the request id (echoed in `X-Request-Id`), binds a per-request logger,
// and writes ONE wide log line per request once the response is known.
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors/app-error.ts";
import type { AppEnv } from "../http/app-env.ts";
import { routePattern } from "../http/route-pattern.ts";
import type { LogFields, Logger } from "./logger.ts";
import { chooseRequestId, requestIdHeader } from "./request-id.ts";

export interface RequestLoggerOptions {
  logger: Logger;
  /** Monotonic clock in milliseconds. */
  now: () => number;
}

/** Adds fields (model version, batch size, ...) to the request's wide log line. */
export function addLogFields(c: Context<AppEnv>, fields: LogFields): void {
  Object.assign(c.var.logFields, fields);
}

/** Sets a header even on a response whose headers are immutable (e.g. one from fetch()). */
export function setResponseHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(name, value);
  }
}

export function requestLogger(options: RequestLoggerOptions): MiddlewareHandler<AppEnv> {
  const { logger, now } = options;
  return async function requestLog(c, next) {
    const started = now();
    const requestId = chooseRequestId(c.req.header(requestIdHeader));
    const logFields: LogFields = {};
    c.set("requestId", requestId);
    c.set("logger", logger.child({ request_id: requestId }));
    c.set("logFields", logFields);

    await next();

    setResponseHeader(c, requestIdHeader, requestId);
    const status = c.res.status;
    const line: LogFields = {
      request_id: requestId,
      method: c.req.method,
      route: routePattern(c),
      path: c.req.path,
      status,
      duration_ms: Math.round((now() - started) * 1000) / 1000,
      ...logFields,
    };
    const error = c.error;
    if (error instanceof AppError) {
      // An expected failure (not ready, bad gateway, ...): its code and message suffice.
      line.error_code = error.code;
      if (status >= 500) line.error_message = error.message;
      logger[status >= 500 ? "warn" : "info"]("request", line);
    } else if (status >= 500) {
      // The client got an opaque message; the log keeps the real error and its stack.
      if (error) line.error = error;
      logger.error("request", line);
    } else {
      logger.info("request", line);
    }
  };
}
