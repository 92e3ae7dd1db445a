// Builds the decision service's dependencies from its config; tests and entries override parts.
import { httpReadinessCheck } from "@pp/shared/http/readiness.ts";
import type { ServiceDeps } from "@pp/shared/http/service-deps.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import packageJson from "../package.json" with { type: "json" };
import type { DecisionConfig } from "./config.ts";

export interface DecisionDeps extends ServiceDeps {
  config: DecisionConfig;
}

export const serviceName = "decision";
export const serviceVersion: string = packageJson.version;

/** Ready when the forecast service answers its liveness probe. */
export function forecastReachableCheck(config: DecisionConfig, fetchImpl?: typeof fetch) {
  const url = new URL("/health", config.FORECAST_URL).href;
  return httpReadinessCheck("forecast", url, fetchImpl ? { fetch: fetchImpl } : {});
}

export function buildDecisionDeps(
  config: DecisionConfig,
  options: { runtime: string; overrides?: Partial<DecisionDeps> },
): DecisionDeps {
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
    readiness: [forecastReachableCheck(config)],
    ...options.overrides,
  };
}
