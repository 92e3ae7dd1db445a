// Decision service configuration, parsed once at start-up from the environment.
// Add variables to the schema; `parseConfig` errors name the variable at fault.
import {
  apiKeyListVar,
  apiKeyVar,
  type EnvRecord,
  hostVar,
  httpUrlVar,
  logLevelVar,
  numberVar,
  parseEnv,
  portVar,
  postgresUrlVar,
} from "@pp/shared/config/parse-env.ts";
import { decisionStoreDir } from "@pp/shared/db/decision-store-dir.ts";
import {
  checkSlowClientConfig,
  type HandlerTimeLimits,
  slowClientConfigShape,
} from "@pp/shared/http/bun-serve-options.ts";
import { rateLimitConfigShape } from "@pp/shared/http/rate-limit.ts";
import * as z from "zod";

const positiveInt = (defaultValue: number, max = 10_000_000) =>
  numberVar({ integer: true, min: 1, max }).default(defaultValue);

export const decisionConfigSchema = z
  .object({
    PORT: portVar(8002),
    HOST: hostVar(),
    LOG_LEVEL: logLevelVar,
    /** Base URL of the forecast service. */
    FORECAST_URL: httpUrlVar().default("http://127.0.0.1:8001"),
    /** Sent as X-API-Key to forecast when it has FORECAST_API_KEYS set. */
    FORECAST_API_KEY: apiKeyVar().optional(),
    /** Timeout of one call to the forecast service. */
    FORECAST_TIMEOUT_MS: positiveInt(2000, 120_000),
    /** Timeout of the forecast call of a /decision/batch (up to 10,000 customers, 10 MiB). */
    FORECAST_BATCH_TIMEOUT_MS: positiveInt(30_000, 600_000),
    /** Consecutive forecast failures that open the circuit breaker. */
    FORECAST_BREAKER_FAILURES: positiveInt(5, 1000),
    /** How long an open breaker fails fast before letting a trial call through. */
    FORECAST_BREAKER_OPEN_MS: positiveInt(10_000, 3_600_000),
    /** PostgreSQL for the decision log, policies and API keys; else PGlite in DECISION_DATA_DIR. */
    DATABASE_URL: postgresUrlVar().optional(),
    /** Embedded database directory; defaults to DATA_DIR (one store with the forecast service). */
    DECISION_DATA_DIR: z.string().min(1).default("./.data"),
    /** Comma-separated API keys (scope decide) accepted in addition to the stored ones (local runs). */
    API_KEYS: apiKeyListVar().default([]),
    /** Comma-separated API keys with the admin scope (/admin/*), for local runs. */
    ADMIN_API_KEYS: apiKeyListVar().default([]),
    /** Most decision-log rows waiting for their commit (their requests wait too); past it, 503. */
    DECISION_LOG_BUFFER_ROWS: positiveInt(100_000),
    /** Longest a decision waits for its record to commit before it is refused with 503. */
    DECISION_LOG_COMMIT_TIMEOUT_MS: positiveInt(2000, 60_000),
    /**
     * Days decisions (and parked rows) are kept; older ones are deleted at start and hourly.
     * Unset: kept for ever. Longer than any campaign runs (its measurement reads its decisions).
     */
    DECISION_LOG_RETENTION_DAYS: numberVar({ integer: true, min: 1, max: 36_500 }).optional(),
    /**
     * How often the API key ring checks the stored keys where changes are not pushed (the embedded
     * store): a key revoked by another process works here about this long at most. Each check is
     * one short read; below 100 ms it would be a steady load for little gain.
     */
    API_KEY_CHECK_MS: numberVar({ integer: true, min: 100, max: 30_000 }).default(1000),
    /** How long the active policy is cached before re-reading it. */
    POLICY_CACHE_MS: positiveInt(5000, 3_600_000),
    /** Largest body of /decision, /decision/batch and the admin API; keep it ≤ forecast's
     * MAX_BODY_BYTES (same default), since batch customers are forwarded to /forecast. */
    MAX_BODY_BYTES: positiveInt(10 * 1024 * 1024, 1024 * 1024 * 1024),
    /**
     * Key of the campaign control-group hash (HMAC-SHA-256 of campaign and customer) and of the
     * campaign page's signed links. Unset: a fixed development key (logged as a warning at start).
     */
    CAMPAIGN_SECRET: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
    /**
     * campaign_incremental_profit on /metrics: only campaigns whose latest report was stored within
     * this many days (older: finished, no longer exported; the campaign page still shows them)...
     */
    CAMPAIGN_METRICS_MAX_AGE_DAYS: positiveInt(30, 36_500),
    /** ... and at most this many, the most recently reported (3 series per action + 1 each). */
    CAMPAIGN_METRICS_MAX_CAMPAIGNS: positiveInt(50, 1000),
    /** RATE_LIMIT_RPS (0 = off) and RATE_LIMIT_BURST, per verified API key, else per client address. */
    ...rateLimitConfigShape,
    /** IDLE_TIMEOUT_S (Bun) and BODY_READ_TIMEOUT_MS: how long a slow client is waited for. */
    ...slowClientConfigShape,
  })
  .superRefine(checkSlowClientConfig);

export type DecisionConfig = z.output<typeof decisionConfigSchema>;

export function parseConfig(env: EnvRecord): DecisionConfig {
  // The decision database follows DATA_DIR unless DECISION_DATA_DIR names another directory,
  // by the rule `npm start`, `ml forget` and `ml campaign` follow (a blank one is unset).
  return parseEnv(decisionConfigSchema, { ...env, DECISION_DATA_DIR: decisionStoreDir(env).dir });
}

/** The handlers' own time limits: on Bun, IDLE_TIMEOUT_S is raised to cover them (bunServeOptions). */
export function handlerTimeLimits(config: DecisionConfig): HandlerTimeLimits {
  return {
    FORECAST_TIMEOUT_MS: config.FORECAST_TIMEOUT_MS,
    FORECAST_BATCH_TIMEOUT_MS: config.FORECAST_BATCH_TIMEOUT_MS,
  };
}
