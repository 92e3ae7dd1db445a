// How long the services wait for slow clients. Bun.serve closes a connection whose request has not
// been answered within its idleTimeout (default 10 s; body bytes arriving do not reset it) and
// sends nothing, so a small body sent at 20 B/s got "Empty reply from server". IDLE_TIMEOUT_S
// raises it (Bun entries only); BODY_READ_TIMEOUT_MS (bodySizeLimit, every runtime) answers a body
// that takes longer with a JSON 408, and must end first for that answer to reach a Bun client.
import type * as z from "zod";
import { numberVar } from "../config/parse-env.ts";

/** Bun.serve's maxRequestBodySize: body limits are bodySizeLimit's (a JSON 413 naming the
 * limit); Bun's own, 128 MiB by default, answered a bare 413 before the app saw the request. */
export const BUN_MAX_REQUEST_BODY_SIZE = Number.MAX_SAFE_INTEGER;

export const DEFAULT_BODY_READ_TIMEOUT_MS = 60_000;

export const slowClientConfigShape = {
  /** Bun only: seconds a request may go unanswered before Bun drops its connection (max 255). */
  IDLE_TIMEOUT_S: numberVar({ integer: true, min: 1, max: 255 }).default(120),
  /** The longest a request body may take to arrive; past it the answer is a 408 request_timeout. */
  BODY_READ_TIMEOUT_MS: numberVar({ integer: true, min: 100, max: 250_000 }).default(
    DEFAULT_BODY_READ_TIMEOUT_MS,
  ),
};

export interface SlowClientConfig {
  IDLE_TIMEOUT_S: number;
  BODY_READ_TIMEOUT_MS: number;
}

/** superRefine of a service schema: the body deadline ends before Bun drops the connection. */
export function checkSlowClientConfig(config: SlowClientConfig, ctx: z.RefinementCtx): void {
  if (config.BODY_READ_TIMEOUT_MS + 1000 <= config.IDLE_TIMEOUT_S * 1000) return;
  ctx.addIssue({
    code: "custom",
    path: ["BODY_READ_TIMEOUT_MS"],
    message: `${config.BODY_READ_TIMEOUT_MS} ms must end at least 1 s before IDLE_TIMEOUT_S (${config.IDLE_TIMEOUT_S} s), else Bun drops a slow upload without its 408; lower it or raise IDLE_TIMEOUT_S`,
  });
}

/** Bun.serve's limits: bodies and slow clients are the app's to answer, in JSON. */
export function bunServeOptions(config: SlowClientConfig): {
  maxRequestBodySize: number;
  idleTimeout: number;
} {
  return { maxRequestBodySize: BUN_MAX_REQUEST_BODY_SIZE, idleTimeout: config.IDLE_TIMEOUT_S };
}
