// Builds the forecast service's dependencies from its config; tests and entries override parts.

import { rateLimiterFromConfig } from "@pp/shared/http/rate-limit.ts";
import type { ServiceDeps } from "@pp/shared/http/service-deps.ts";
import { staticKeyRateLimitKey } from "@pp/shared/http/static-api-keys.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import packageJson from "../package.json" with { type: "json" };
import type { ForecastConfig } from "./config.ts";
import { ModelHolder, type ModelSource } from "./model/model-holder.ts";
import { ModelLoadError } from "./model/model-load-error.ts";

export interface ForecastDeps extends ServiceDeps {
  config: ForecastConfig;
  /** The model being served (swapped atomically when a new version is promoted). */
  model: ModelHolder;
}

export const serviceName = "forecast";
const serviceVersion: string = packageJson.version;

/** A source with nothing to load: the service stays unready (e.g. a test of the bare app). */
const noModelSource: ModelSource = {
  description: "none",
  currentKey: async () => {
    throw new ModelLoadError("unavailable", "no model source configured");
  },
  load: async () => {
    throw new ModelLoadError("unavailable", "no model source configured");
  },
};

export function buildForecastDeps(
  config: ForecastConfig,
  options: {
    runtime: string;
    modelSource?: ModelSource;
    /** See ModelHolderDeps: set by the Workers entry, whose cancelled refreshes never settle. */
    abandonRefreshAfterMs?: number;
    overrides?: Partial<ForecastDeps>;
  },
): ForecastDeps {
  const logger =
    options.overrides?.logger ??
    createLogger({
      level: config.LOG_LEVEL,
      fields: { service: serviceName, runtime: options.runtime },
    });
  const metrics = options.overrides?.metrics ?? new MetricsRegistry();
  const model =
    options.overrides?.model ??
    new ModelHolder(options.modelSource ?? noModelSource, {
      logger,
      metrics,
      releaseDelayMs: config.MODEL_RELEASE_DELAY_MS,
      ...(options.abandonRefreshAfterMs === undefined
        ? {}
        : { abandonRefreshAfterMs: options.abandonRefreshAfterMs }),
    });
  return {
    config,
    service: serviceName,
    version: serviceVersion,
    logger,
    metrics,
    now: () => performance.now(),
    model,
    // /ready stays 503 until the model is loaded.
    readiness: [model.readinessCheck()],
    rateLimiter: rateLimiterFromConfig(config),
    rateLimitKeyOf: staticKeyRateLimitKey(config.FORECAST_API_KEYS),
    // /forecast gzips its own answer (jsonAnswer): a small one is not read back to be measured.
    selfCompressedPaths: ["/forecast"],
    ...options.overrides,
  };
}

/** First load, then polling for promotions; never throws (failures are logged and counted). */
export async function startModel(deps: ForecastDeps): Promise<void> {
  warnIfOpen(deps);
  deps.logger.info("loading model", {
    model: deps.config.MODEL_NAME,
    source: deps.model.sourceDescription,
    poll_interval_ms: deps.config.MODEL_POLL_INTERVAL_MS,
  });
  await deps.model.refresh();
  deps.model.startPolling(deps.config.MODEL_POLL_INTERVAL_MS);
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Keys are optional (a service behind a gateway needs none), but an open port should be a choice
 * the log shows, not a default nobody noticed. */
function warnIfOpen(deps: ForecastDeps): void {
  const { FORECAST_API_KEYS, HOST } = deps.config;
  if (FORECAST_API_KEYS.length > 0 || LOOPBACK.has(HOST)) return;
  deps.logger.warn(
    "FORECAST_API_KEYS is not set: /forecast and /model-info answer anyone who reaches this port (set it, or HOST=127.0.0.1)",
    { host: HOST },
  );
}
