// How long the services wait for slow clients. Bun.serve closes a connection whose request has not
// been answered within its idleTimeout (default 10 s; body bytes arriving do not reset it) and
// sends nothing, so a small body sent at 20 B/s got "Empty reply from server". IDLE_TIMEOUT_S
// raises it (Bun entries only); BODY_READ_TIMEOUT_MS (bodySizeLimit, every runtime) answers a body
// that takes longer with a JSON 408, and must end first for that answer to reach a Bun client.
// A slow handler is dropped the same way (a 4 s handler under a 2 s idleTimeout: connection reset),
// so the Bun entries pass their handlers' own time limits and the idleTimeout is raised to cover
// them; a limit that cannot fit under Bun's 255 s refuses the start (Node, Deno, workerd: no limit).
import type * as z from "zod";
import { ConfigError, type ConfigIssue, numberVar } from "../config/parse-env.ts";

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

/**
 * Seconds a deadline must end before IDLE_TIMEOUT_S: Bun (uSockets) checks idleness every 4 s, so
 * a connection may be dropped up to 4 s before its idleTimeout (IDLE_TIMEOUT_S=3 with a 1 s body
 * deadline: an empty reply after 945 ms, under CI's load).
 */
export const BUN_IDLE_SLACK_S = 5;

/** superRefine of a service schema: the body deadline ends before Bun drops the connection. */
export function checkSlowClientConfig(config: SlowClientConfig, ctx: z.RefinementCtx): void {
  if (config.BODY_READ_TIMEOUT_MS + BUN_IDLE_SLACK_S * 1000 <= config.IDLE_TIMEOUT_S * 1000) return;
  ctx.addIssue({
    code: "custom",
    path: ["BODY_READ_TIMEOUT_MS"],
    message: `${config.BODY_READ_TIMEOUT_MS} ms must end at least ${BUN_IDLE_SLACK_S} s before IDLE_TIMEOUT_S (${config.IDLE_TIMEOUT_S} s; Bun checks idleness every 4 s), else Bun drops a slow upload without its 408; lower it or raise IDLE_TIMEOUT_S`,
  });
}

/** Bun.serve's largest idleTimeout, in seconds. */
export const BUN_MAX_IDLE_TIMEOUT_S = 255;
/** Seconds left past a handler's own limit for the rest of its request and Bun's 4 s checks. */
export const HANDLER_MARGIN_S = BUN_IDLE_SLACK_S;

/** A service's handler time limits, by variable name, in ms: each answers when it runs out. */
export type HandlerTimeLimits = Readonly<Record<string, number>>;

/**
 * Bun's idleTimeout for `config`: IDLE_TIMEOUT_S, raised (up to 255 s) so that a handler reaching
 * its own limit, after a body that took up to BODY_READ_TIMEOUT_MS, still sends its answer. A
 * ConfigError naming the limit and IDLE_TIMEOUT_S when the limit alone cannot end in 255 s.
 */
export function bunIdleTimeout(config: SlowClientConfig, limits: HandlerTimeLimits = {}): number {
  let idle = config.IDLE_TIMEOUT_S;
  const bodyS = Math.ceil(config.BODY_READ_TIMEOUT_MS / 1000);
  const issues: ConfigIssue[] = [];
  for (const [variable, ms] of Object.entries(limits)) {
    const handlerS = Math.ceil(ms / 1000) + HANDLER_MARGIN_S;
    if (handlerS > BUN_MAX_IDLE_TIMEOUT_S) {
      const most = (BUN_MAX_IDLE_TIMEOUT_S - HANDLER_MARGIN_S) * 1000;
      issues.push({
        variable,
        message: `${ms} ms cannot end before Bun's idle timeout (IDLE_TIMEOUT_S, at most ${BUN_MAX_IDLE_TIMEOUT_S} s), which drops the connection with no answer: on Bun set ${variable} to at most ${most} (IDLE_TIMEOUT_S is raised to cover it), or run on Node or Deno`,
      });
    }
    idle = Math.max(idle, Math.min(BUN_MAX_IDLE_TIMEOUT_S, handlerS + bodyS));
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return idle;
}

/** Bun.serve's limits: bodies, slow clients and slow handlers are the app's to answer, in JSON. */
export function bunServeOptions(
  config: SlowClientConfig,
  limits: HandlerTimeLimits = {},
): {
  maxRequestBodySize: number;
  idleTimeout: number;
} {
  return {
    maxRequestBodySize: BUN_MAX_REQUEST_BODY_SIZE,
    idleTimeout: bunIdleTimeout(config, limits),
  };
}
