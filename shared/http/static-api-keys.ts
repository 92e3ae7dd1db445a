// Optional API keys from the environment for a service without a key store (forecast:
// FORECAST_API_KEYS): `X-API-Key: KEY` or `Authorization: Bearer KEY`, read as the decision
// service reads them (presented-api-key.ts), compared in constant time. With keys configured, the
// protected routes answer 401 without one, and the rate limit counts per verified key (else per
// client address: a made-up key never gets its own bucket). The key is read and compared once a
// request: the limiter and the middleware share the verdict on the context (verifiedStaticKey).
import type { Context, MiddlewareHandler } from "hono";
import { sha256Hex } from "../artifacts/sha256.ts";
import { AppError } from "../errors/app-error.ts";
import type { AppEnv, StaticKeyVerdict } from "./app-env.ts";
import { presentedApiKey } from "./presented-api-key.ts";
import { rateLimitKey } from "./rate-limit.ts";

/** Equal strings without an early exit (the length still shows; keys are of fixed length). */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/**
 * The name a key from the environment goes by (logs' `api_key`, the decision service's
 * Idempotency-Key scope): `prefix` and the first 8 hex digits of its SHA-256 (`hashHex`). By the
 * key, not its place in the list, so reordering the variable renames nothing; the same key has
 * the same name in both services. 8 hex digits say nothing usable about a real key.
 */
export function envKeyName(hashHex: string, prefix = "env:"): string {
  return `${prefix}${hashHex.slice(0, 8)}`;
}

/** 1-based index of `presented` among the keys, else 0 (every key compared, no early exit). */
function staticKeyIndex(presented: string, keys: readonly string[]): number {
  let found = 0;
  keys.forEach((key, i) => {
    if (constantTimeEqual(presented, key)) found = i + 1;
  });
  return found;
}

/**
 * The key the request presents and its place among `keys`: read and compared once a request,
 * kept on the context for the next caller (the rate limiter, then requireStaticApiKey).
 */
export function verifiedStaticKey(c: Context<AppEnv>, keys: readonly string[]): StaticKeyVerdict {
  const kept = c.get("staticKey");
  if (kept?.keys === keys) return kept;
  const presented = presentedApiKey(c);
  const index = presented.kind === "key" ? staticKeyIndex(presented.key, keys) : 0;
  const verdict = { keys, presented, index };
  c.set("staticKey", verdict);
  return verdict;
}

/** Rate-limit bucket: the verified key's number, else the client address. */
export function staticKeyRateLimitKey(keys: readonly string[]) {
  return (c: Context<AppEnv>): string => {
    const index = keys.length > 0 ? verifiedStaticKey(c, keys).index : 0;
    return index > 0 ? `key:${index}` : rateLimitKey(c);
  };
}

/** Middleware: 401 unless a configured key is presented (nothing is checked without keys). */
export function requireStaticApiKey(
  keys: readonly string[],
  realm: string,
  /** The variable that lists the keys, named to a caller whose key is not in it. */
  variable: string,
): MiddlewareHandler<AppEnv> {
  const names = Promise.all(
    keys.map(async (key) => envKeyName(await sha256Hex(new TextEncoder().encode(key)))),
  );
  const challenge = { headers: { "WWW-Authenticate": `Bearer realm="${realm}"` } };
  return async function staticApiKey(c, next) {
    if (keys.length > 0) {
      const { presented, index } = verifiedStaticKey(c, keys);
      // A header holding no readable key is named (a cut or spaced key read "not recognised").
      if (presented.kind === "unreadable") {
        throw new AppError("unauthorized", presented.message, challenge);
      }
      if (index === 0) {
        // A key sent and not known is not a key missing (it read "API key required" for both).
        const message =
          presented.kind === "none"
            ? "API key required: send X-API-Key: <key> (or Authorization: Bearer <key>)"
            : `API key not recognised: send a key listed in ${variable}`;
        throw new AppError("unauthorized", message, challenge);
      }
      c.get("logFields").api_key = (await names)[index - 1] ?? `env:${index}`;
    }
    await next();
  };
}
