// Builds the forecast service's dependencies from its config; tests and entries override parts.

import type { ServiceDeps } from "@pp/shared/http/service-deps.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import packageJson from "../package.json" with { type: "json" };
import type { ForecastConfig } from "./config.ts";

export interface ForecastDeps extends ServiceDeps {
  config: ForecastConfig;
}

export const serviceName = "forecast";
export const serviceVersion: string = packageJson.version;

export function buildForecastDeps(
  config: ForecastConfig,
  options: { runtime: string; overrides?: Partial<ForecastDeps> },
): ForecastDeps {
  return {
    config,
    service: serviceName,
    version: serviceVersion,
    logger: createLogger({
      level: config.LOG_LEVEL,
      fields: { service: serviceName, runtime: options.runtime },
    }),
    metrics: new MetricsRegistry(),
    now: () => performance.now(),
    // The model-source check joins this list when the model loader lands.
    readiness: [],
    ...options.overrides,
  };
}
