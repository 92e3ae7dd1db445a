// Forecast service configuration, parsed once at start-up from the environment.
// Add variables to the schema; `parseConfig` errors name the variable at fault.
import {
  apiKeyListVar,
  artifactStoreUriVar,
  type EnvRecord,
  hostVar,
  logLevelVar,
  numberVar,
  parseEnv,
  portVar,
  postgresUrlVar,
} from "@pp/shared/config/parse-env.ts";
import {
  checkSlowClientConfig,
  type HandlerTimeLimits,
  slowClientConfigShape,
} from "@pp/shared/http/bun-serve-options.ts";
import { rateLimitConfigShape } from "@pp/shared/http/rate-limit.ts";
import * as z from "zod";

/**
 * Where the model comes from: `registry` (the production version of MODEL_NAME, polled for
 * promotions), `bundle:<dir>` (an exported bundle directory, see scripts/export-bundle.ts),
 * `url:<https://...>` (the same files served over HTTP), `bundled` (compiled into a Worker) or
 * `r2` (Workers: the version named by the KV binding MODEL_POINTER, read from the R2 binding
 * MODEL_ARTIFACTS; see model/r2-source.ts).
 */
type ModelSourceSpec =
  | { kind: "registry" }
  | { kind: "bundle"; dir: string }
  | { kind: "url"; url: string }
  | { kind: "bundled" }
  | { kind: "r2" };

const modelSourceVar = z
  .string()
  .trim()
  .transform((value, ctx): ModelSourceSpec => {
    if (value === "registry") return { kind: "registry" };
    if (value === "bundled") return { kind: "bundled" };
    if (value === "r2") return { kind: "r2" };
    if (value.startsWith("bundle:") && value.length > "bundle:".length) {
      return { kind: "bundle", dir: value.slice("bundle:".length) };
    }
    if (/^url:https?:\/\/./.test(value)) return { kind: "url", url: value.slice("url:".length) };
    ctx.addIssue({
      code: "custom",
      message: 'must be "registry", "bundled", "r2", "bundle:<dir>" or "url:<http(s) URL>"',
    });
    return z.NEVER;
  })
  .default({ kind: "registry" });

export const forecastConfigSchema = z
  .object({
    PORT: portVar(8001),
    HOST: hostVar(),
    LOG_LEVEL: logLevelVar,
    /** The registered model to serve (its production version). */
    MODEL_NAME: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: "must be a model name" })
      .default("purchase"),
    MODEL_SOURCE: modelSourceVar,
    /** How often the registry is asked for a newly promoted version; 0 turns polling off. */
    MODEL_POLL_INTERVAL_MS: numberVar({ integer: true, min: 0 }).default(30_000),
    /** How long a replaced model is kept (requests may still answer from it) before it is freed;
     * at least 1 s: a request that read the model just before the swap may still be scoring. */
    MODEL_RELEASE_DELAY_MS: numberVar({ integer: true, min: 1000 }).default(30_000),
    /** Scores the gradient-boosted models with onnxruntime-web (WASM) or the TypeScript evaluator. */
    GBDT_ENGINE: z
      .enum(["onnxruntime-web", "typescript"], {
        error: 'must be "onnxruntime-web" or "typescript"',
      })
      .default("onnxruntime-web"),
    /** Workers only: the isolate's memory (Cloudflare: 128 MB); a bundle too big for it is refused. */
    WORKER_MEMORY_LIMIT_MB: numberVar({ integer: true, min: 1 }).default(128),
    /** Largest accepted request body. */
    MAX_BODY_BYTES: numberVar({ integer: true, min: 1024 }).default(10 * 1024 * 1024),
    /**
     * The longest one request's intervals and distributions may compute: past it the request is
     * refused (413) and the work stops, as it does when its client hangs up (see interval-columns.ts).
     */
    INTERVALS_TIME_LIMIT_MS: numberVar({ integer: true, min: 100 }).default(30_000),
    /** The most PMF entries one request's distributions may hold (about 9 bytes each in JSON). */
    DISTRIBUTION_MAX_VALUES: numberVar({ integer: true, min: 1000 }).default(5_000_000),
    // Read by the shared database/artifact helpers on Bun/Node/Deno; listed so they are documented.
    DATABASE_URL: postgresUrlVar().optional(),
    DATA_DIR: z.string().optional(),
    ARTIFACT_STORE_URI: artifactStoreUriVar().optional(),
    /** Optional comma-separated keys: when set, /forecast and /model-info need one (X-API-Key or
     * Authorization: Bearer). Decision sends FORECAST_API_KEY. */
    FORECAST_API_KEYS: apiKeyListVar().default([]),
    /** RATE_LIMIT_RPS (0 = off) and RATE_LIMIT_BURST, per verified key, else per client address. */
    ...rateLimitConfigShape,
    /** IDLE_TIMEOUT_S (Bun) and BODY_READ_TIMEOUT_MS: how long a slow client is waited for. */
    ...slowClientConfigShape,
  })
  .superRefine(checkSlowClientConfig);

export type ForecastConfig = z.output<typeof forecastConfigSchema>;

export function parseConfig(env: EnvRecord): ForecastConfig {
  return parseEnv(forecastConfigSchema, env);
}

/** The handlers' own time limits: on Bun, IDLE_TIMEOUT_S is raised to cover them (bunServeOptions). */
export function handlerTimeLimits(config: ForecastConfig): HandlerTimeLimits {
  return { INTERVALS_TIME_LIMIT_MS: config.INTERVALS_TIME_LIMIT_MS };
}
