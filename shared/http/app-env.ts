// The Hono Env shared by both services: what the request middleware puts on the context.
import type { LogFields, Logger } from "../logging/logger.ts";
import type { PresentedApiKey } from "./presented-api-key.ts";

/** A request's key as read once and compared with the static keys (static-api-keys.ts). */
export interface StaticKeyVerdict {
  /** The list compared with: a caller holding another list compares again. */
  keys: readonly string[];
  presented: PresentedApiKey;
  /** 1-based index of the configured key presented, else 0 (none, unknown, or unreadable). */
  index: number;
}

export interface AppVariables {
  /** From the caller's `X-Request-Id`, or generated; echoed in the response. */
  requestId: string;
  /** The service logger with `request_id` bound. */
  logger: Logger;
  /** Extra fields handlers add to the one wide log line of the request. */
  logFields: LogFields;
  /** The name of the verified API key (decision service): scopes Idempotency-Keys per caller. */
  apiKey?: string;
  /**
   * Forecast's static keys: the key read and compared by the first of the rate limiter and the
   * key middleware to need it, so the other reuses it (each read the headers and compared).
   */
  staticKey?: StaticKeyVerdict;
}

export interface AppEnv {
  Variables: AppVariables;
  // Worker bindings (or nothing on Bun/Node/Deno); typed loosely because each runtime differs.
  Bindings: Record<string, unknown>;
}
