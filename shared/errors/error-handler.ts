// Hono handlers that turn every failure into the shared JSON error shape: thrown errors
// (onError), unknown paths (404) and known paths called with the wrong method (405 + Allow).
import type { Context, Env, ErrorHandler, Hono, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { connectionLostCode } from "../db/connection-lost.ts";
import { NoDatabaseError } from "../db/no-database.ts";
import { AppError } from "./app-error.ts";
import { codeForStatus } from "./error-codes.ts";

/**
 * Converts anything thrown into an AppError: the database away (stopped, restarting, cut off) is a
 * 503 to retry on every route, whichever query met it; other unknown errors an opaque 500.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const lost = connectionLostCode(err);
  if (lost !== null) {
    // The code only: the driver's message names the database's host and port.
    return new AppError("unavailable", `The database is unavailable (${lost}); retry shortly`, {
      // As every 503: details names the dependency and its reason (the README's error table).
      details: { database: { reason: lost } },
      headers: { "Retry-After": "5" },
      cause: err,
    });
  }
  if (err instanceof NoDatabaseError) {
    // Its reason is ours (which binding or variable to set), never a driver's.
    return new AppError("unavailable", `The database is unavailable: ${err.message}`, {
      details: { database: { reason: "not_configured" } },
      cause: err,
    });
  }
  if (err instanceof HTTPException) {
    // Hono's own middleware (validator, body limit, ...) signal client errors this way.
    const code = codeForStatus(err.status);
    const message = err.message || err.getResponse().statusText || code;
    return new AppError(code, message, { cause: err });
  }
  // Never echo an unexpected error's message or stack: it may hold internals.
  return new AppError("internal", "Internal server error", { cause: err });
}

/** `app.onError(handleError)`: the single place errors become responses. */
export const handleError: ErrorHandler = (err, c) => {
  const appError = toAppError(err);
  for (const [name, value] of Object.entries(appError.headers)) c.header(name, value);
  return c.json(appError.toBody(), appError.status as 400);
};

const probedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Methods for which `app` has a handler (not just middleware) matching `path`. */
export function allowedMethods<E extends Env>(app: Hono<E>, path: string): string[] {
  const allowed: string[] = [];
  for (const method of probedMethods) {
    const [matches] = app.router.match(method, path);
    // Middleware registered with app.use() is stored under the pseudo-method "ALL".
    if (matches.some(([[, route]]) => route.method === method)) allowed.push(method);
  }
  if (allowed.includes("GET")) allowed.splice(1 + allowed.indexOf("GET"), 0, "HEAD");
  return allowed;
}

/**
 * The 404 of an unknown path. A known route with a trailing slash (`/decision/`) names the route
 * without it: "No route for POST /decision/" alone left clients to spot the slash. Not a redirect:
 * a POST's body is not resent on a 301/302 by every client.
 */
function notFoundError<E extends Env>(app: Hono<E>, method: string, path: string): AppError {
  const route = path.replace(/\/+$/, "");
  if (route !== "" && route !== path && allowedMethods(app, route).length > 0) {
    return new AppError(
      "not_found",
      `No route for ${method} ${path}: the route is ${route}, without the trailing slash`,
      { details: { path, route } },
    );
  }
  return new AppError("not_found", `No route for ${method} ${path}`);
}

/** `app.notFound(notFoundHandler(app))`: 405 with `Allow` when the path exists, else 404. */
export function notFoundHandler<E extends Env>(app: Hono<E>): NotFoundHandler<E> {
  return (c: Context<E>) => {
    const allowed = allowedMethods(app, c.req.path);
    const error =
      allowed.length > 0
        ? new AppError(
            "method_not_allowed",
            `Method ${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(", ")}`,
            { details: { method: c.req.method, allowed }, headers: { Allow: allowed.join(", ") } },
          )
        : notFoundError(app, c.req.method, c.req.path);
    return handleError(error, c as unknown as Context);
  };
}
