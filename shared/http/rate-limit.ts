// Per-client rate limiting: a token bucket per client address (or per verified API key, where a
// service verifies keys), in memory, with an injected clock. Over the limit a request gets 429 `rate_limited` with
// `Retry-After`. Configured per service by RATE_LIMIT_RPS / RATE_LIMIT_BURST (0 rps = off).
import type { Context, MiddlewareHandler } from "hono";
import { numberVar } from "../config/parse-env.ts";
import { AppError } from "../errors/app-error.ts";
import type { AppEnv } from "./app-env.ts";

export interface RateLimitOptions {
  /** Tokens added per second to each bucket (sustained requests/s per client). */
  ratePerSecond: number;
  /** Bucket size: requests a client may send at once after being idle. */
  burst: number;
  /** Milliseconds clock (monotonic in services; a fake in tests). */
  now: () => number;
  /** Most buckets kept; past it, full (idle) buckets are dropped first, then the oldest. */
  maxKeys?: number;
}

export type RateDecision =
  | { allowed: true; remaining: number }
  | { allowed: false; remaining: 0; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenBucketLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    if (!(options.ratePerSecond > 0 && Number.isFinite(options.ratePerSecond)))
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    if (!(Number.isInteger(options.burst) && options.burst >= 1))
      throw new RangeError(`burst must be an integer >= 1, got ${options.burst}`);
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.now = options.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Buckets held (for tests and the key cap). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket when it has one. */
  take(key: string): RateDecision {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.ratePerSecond);
      bucket.updatedAt = now;
      // Re-insert so Map order is least-recently-used first (for eviction).
      this.buckets.delete(key);
    } else {
      this.evictIfFull(now);
      bucket = { tokens: this.burst, updatedAt: now };
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const wait = (1 - bucket.tokens) / this.ratePerSecond;
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }

  private evictIfFull(now: number): void {
    if (this.buckets.size < this.maxKeys) return;
    // A bucket that has refilled is the same as a new one: forgetting it changes nothing. Swept
    // from the least recently used end, stopping at the first still in use: a sweep of the whole
    // map per new key cost 4.4 ms at 100,000 keys while none had refilled (one client address per
    // request, faster than buckets refill), every request of every client waiting for it.
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updatedAt) / 1000) * this.ratePerSecond < this.burst) break;
      this.buckets.delete(key);
    }
    // Still full: drop the least recently used (it only gets a fresh bucket back).
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }
}

/** Env variables of the limiter; spread into a service's config schema. */
export const rateLimitConfigShape = {
  /** Sustained requests per second per API key (or client address); 0 turns limiting off. */
  RATE_LIMIT_RPS: numberVar({ min: 0, max: 1_000_000 }).default(0),
  /** Requests a client may send at once; default: max(1, 2 × RATE_LIMIT_RPS). */
  RATE_LIMIT_BURST: numberVar({ integer: true, min: 1, max: 10_000_000 }).optional(),
};

export interface RateLimitConfig {
  RATE_LIMIT_RPS: number;
  RATE_LIMIT_BURST?: number | undefined;
}

/** The limiter the config asks for, or null when limiting is off. */
export function rateLimiterFromConfig(
  config: RateLimitConfig,
  now: () => number = () => performance.now(),
): TokenBucketLimiter | null {
  if (config.RATE_LIMIT_RPS <= 0) return null;
  const burst = config.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(2 * config.RATE_LIMIT_RPS));
  return new TokenBucketLimiter({ ratePerSecond: config.RATE_LIMIT_RPS, burst, now });
}

/** What the runtimes put in `c.env`, duck-typed so the app needs no runtime import. */
interface ConnectionEnv {
  requestIP?: (request: Request) => { address: string } | null; // Bun's server
  incoming?: { socket?: { remoteAddress?: string } }; // @hono/node-server
  remoteAddr?: { hostname?: string }; // Deno.serve's info
}

/** The peer's address where the runtime gives the socket's (Bun, Node, Deno), else undefined. */
function peerAddress(c: Context<AppEnv>): string | undefined {
  const env = c.env as ConnectionEnv | undefined;
  try {
    if (typeof env?.requestIP === "function") return env.requestIP(c.req.raw)?.address;
  } catch {
    // not Bun's server after all
  }
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname;
}

/**
 * The client's address as the runtime reports it, or undefined (e.g. app.request in tests).
 * CF-Connecting-IP only where there is no socket (Workers, where Cloudflare itself sets it):
 * elsewhere any client can send it, and a new value per request was a new rate-limit bucket.
 */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  return peerAddress(c) ?? c.req.header("cf-connecting-ip");
}

/**
 * The bucket of a request whose key nobody verified: its client address. A presented key is NOT
 * used (a random key per request would get a fresh bucket each time); services that verify keys
 * limit per verified key themselves (see the decision service's requireApiKey).
 */
export function rateLimitKey(c: Context<AppEnv>): string {
  return `ip:${clientAddress(c) ?? "unknown"}`;
}

/** The 429 answered when a bucket is empty. */
export function rateLimitError(limiter: TokenBucketLimiter, retryAfterSeconds: number): AppError {
  return new AppError(
    "rate_limited",
    `Rate limit of ${limiter.ratePerSecond} requests/s (burst ${limiter.burst}) exceeded; retry after ${retryAfterSeconds} s`,
    {
      details: {
        limit_per_second: limiter.ratePerSecond,
        burst: limiter.burst,
        retry_after_s: retryAfterSeconds,
      },
      headers: { "Retry-After": String(retryAfterSeconds) },
    },
  );
}

/** Paths never limited: probes and scrapes must work while a client is being throttled. */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/health", "/ready", "/metrics"]);

/** Middleware: one token per request, else 429 `rate_limited` with `Retry-After` (seconds). */
export function rateLimit(
  limiter: TokenBucketLimiter,
  options: { keyOf?: (c: Context<AppEnv>) => string; skip?: ReadonlySet<string> } = {},
): MiddlewareHandler<AppEnv> {
  const keyOf = options.keyOf ?? rateLimitKey;
  const skip = options.skip ?? UNLIMITED_PATHS;
  return async function rateLimiter(c, next) {
    if (skip.has(c.req.path)) return next();
    const decision = limiter.take(keyOf(c));
    if (!decision.allowed) throw rateLimitError(limiter, decision.retryAfterSeconds);
    await next();
    c.header("X-RateLimit-Remaining", String(decision.remaining));
  };
}
