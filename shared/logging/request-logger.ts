// Middleware: assigns the request id (echoed in `X-Request-Id`), binds a per-request logger,
// and writes ONE wide log line per request once the response is known.
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors/app-error.ts";
import type { AppEnv } from "../http/app-env.ts";
import { routePattern } from "../http/route-pattern.ts";
import { deferredChild, type LogFields, type Logger, type LogLevel, logsAt } from "./logger.ts";
import { chooseRequestId, requestIdHeader } from "./request-id.ts";

export interface RequestLoggerOptions {
  logger: Logger;
  /** Monotonic clock in milliseconds. */
  now: () => number;
}

/** Sets a header even on a response whose headers are immutable (e.g. one from fetch()). */
function setResponseHeader(c: Context, name: string, value: string): void {
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
    c.set("logger", deferredChild(logger, { request_id: requestId }));
    c.set("logFields", logFields);

    await next();

    setResponseHeader(c, requestIdHeader, requestId);
    const status = c.res.status;
    const error = c.error;
    const level = lineLevel(status, error);
    // A line the logger would drop is not built (routePattern, the spread of logFields).
    if (!logsAt(logger, level)) return;
    const line: LogFields = {
      request_id: requestId,
      method: c.req.method,
      route: routePattern(c),
      path: c.req.path,
      status,
      duration_ms: Math.round((now() - started) * 1000) / 1000,
      ...logFields,
    };
    if (error instanceof AppError) {
      // An expected failure (not ready, bad gateway, ...): its code and message suffice.
      line.error_code = error.code;
      if (status >= 500) line.error_message = error.message;
      if (status >= 500 && error.logDetail !== undefined) line.error_detail = error.logDetail;
    } else if (status >= 500 && error) {
      // The client got an opaque message; the log keeps the real error and its stack.
      line.error = error;
    }
    logger[level]("request", line);
  };
}

/** An expected failure (AppError) is info, or warn from 500; any other 5xx is error. */
function lineLevel(status: number, error: Error | undefined): LogLevel {
  if (error instanceof AppError) return status >= 500 ? "warn" : "info";
  return status >= 500 ? "error" : "info";
}
