// The Hono Env shared by both services: what the request middleware puts on the context.
import type { LogFields, Logger } from "../logging/logger.ts";

export interface AppVariables {
  /** From the caller's `X-Request-Id`, or generated; echoed in the response. */
  requestId: string;
  /** The service logger with `request_id` bound. */
  logger: Logger;
  /** Extra fields handlers add to the one wide log line of the request. */
  logFields: LogFields;
  /** The name of the verified API key (decision service): scopes Idempotency-Keys per caller. */
  apiKey?: string;
}

export interface AppEnv {
  Variables: AppVariables;
  // Worker bindings (or nothing on Bun/Node/Deno); typed loosely because each runtime differs.
  Bindings: Record<string, unknown>;
}
