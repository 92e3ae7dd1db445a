// What every service app is built from. Entries (and tests) construct these; the app never
// reaches for globals, so the same app runs on Bun, Node, Deno and workerd.
import type { Context } from "hono";
import type { Logger } from "../logging/logger.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { AppEnv } from "./app-env.ts";
import type { TokenBucketLimiter } from "./rate-limit.ts";
import type { ReadinessCheck } from "./readiness.ts";

export interface ServiceDeps {
  /** "forecast" or "decision": labels logs and metrics. */
  service: string;
  version: string;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Monotonic clock in milliseconds (uptime, durations). */
  now: () => number;
  /** All must pass for `/ready` to answer 200. */
  readiness: ReadinessCheck[];
  /** Per-API-key (or client address) limit on every route but /health, /ready and /metrics. */
  rateLimiter?: TokenBucketLimiter | null;
  /** The bucket a request counts against; default: its client address. */
  rateLimitKeyOf?: (c: Context<AppEnv>) => string;
  /** Paths whose routes gzip their own answers (jsonAnswer), skipped by compressAnswers. */
  selfCompressedPaths?: readonly string[];
}
