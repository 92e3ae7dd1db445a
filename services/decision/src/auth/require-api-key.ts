// Middleware: the route needs `Authorization: Bearer KEY` (or `X-API-Key: KEY`, as forecast takes;
// Bearer first when both are sent) with a valid key holding `scope`:
// 401 without a valid key (fixed message; the presented key is never echoed or logged; an expired
// key's 401 says when it expired, so its owner knows to rotate), 403 when the key lacks the
// scope, 503 for a key that is not among those known while the stored keys cannot be read (the
// database away: it may be a valid key made since the last read). Rate limits apply per verified
// key, and per client address to requests without one, so a flood of invalid keys is throttled
// too (429).
import { AppError } from "@pp/shared/errors/app-error.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { presentedApiKey } from "@pp/shared/http/presented-api-key.ts";
import {
  rateLimitError,
  rateLimitKey,
  type TokenBucketLimiter,
} from "@pp/shared/http/rate-limit.ts";
import type { MiddlewareHandler } from "hono";
import type { ApiKeyRing } from "./api-key-ring.ts";
import type { ApiKeyScope } from "./api-key-scopes.ts";

const challenge = { "WWW-Authenticate": 'Bearer realm="decision"' };

export function requireApiKey(
  ring: ApiKeyRing,
  scope: ApiKeyScope,
  limiter?: TokenBucketLimiter | null,
): MiddlewareHandler<AppEnv> {
  return async function apiKeyAuth(c, next) {
    // Read once, as forecast reads it (shared/http/presented-api-key.ts). The limit is taken here,
    // not by the shared middleware as forecast's is: the ring's check is async, a limiter's key not.
    const presented = presentedApiKey(c);
    const verdict = presented.kind === "key" ? await ring.check(presented.key) : null;
    const key = verdict?.kind === "valid" ? verdict.key : null;
    if (limiter) {
      // Per verified key, else per client address (rateLimitKey, as forecast's limiter).
      const decision = limiter.take(key ? `key:${key.name}` : rateLimitKey(c));
      if (!decision.allowed) throw rateLimitError(limiter, decision.retryAfterSeconds);
    }
    if (presented.kind === "unreadable") {
      throw new AppError("unauthorized", presented.message, { headers: challenge });
    }
    if (presented.kind === "none") {
      const message = "API key required: send Authorization: Bearer <key> (or X-API-Key: <key>)";
      throw new AppError("unauthorized", message, { headers: challenge });
    }
    if (verdict?.kind === "unavailable") {
      throw new AppError(
        "unavailable",
        "API keys cannot be checked now (the database is unavailable): retry shortly",
        { details: { api_keys: { reason: "unreadable" } }, headers: { "Retry-After": "1" } },
      );
    }
    if (verdict?.kind === "expired") {
      c.get("logFields").api_key = verdict.name;
      throw new AppError(
        "unauthorized",
        `API key expired at ${verdict.expiredAt.toISOString()}: ask an admin for a new one (POST /admin/keys/:id/rotate)`,
        { headers: challenge },
      );
    }
    if (key === null) throw new AppError("unauthorized", "Invalid API key", { headers: challenge });
    c.get("logFields").api_key = key.name;
    c.set("apiKey", key.name);
    if (!key.scopes.includes(scope)) {
      throw new AppError("forbidden", `This API key lacks the "${scope}" scope`, {
        details: { required_scope: scope, key_scopes: key.scopes },
      });
    }
    await next();
  };
}
