// Builds the decision service's dependencies from its config; tests and entries override parts.
// The database is injected as a lazy provider: the app itself stays runtime-neutral, and the
// Bun/Node/Deno entries hand it the real one (Workers run without: decisions answer 503 there).

import { rateLimiterFromConfig } from "@pp/shared/http/rate-limit.ts";
import { httpReadinessCheck, type ReadinessCheck } from "@pp/shared/http/readiness.ts";
import type { ServiceDeps } from "@pp/shared/http/service-deps.ts";
import { createLogger, type Logger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import packageJson from "../package.json" with { type: "json" };
import { BufferedAuditLog } from "./audit/audit-log.ts";
import type { DecisionAudit } from "./audit/decision-audit.ts";
import { decisionLogSink } from "./audit/decision-log-sink.ts";
import { WriteThroughAuditLog } from "./audit/write-through-audit-log.ts";
import { ApiKeyRing } from "./auth/api-key-ring.ts";
import { type CampaignMetrics, campaignMetrics } from "./campaigns/campaign-metrics.ts";
import { ControlAssignment, DEV_CAMPAIGN_SECRET } from "./campaigns/control-assignment.ts";
import type { DecisionConfig } from "./config.ts";
import { createForecastClient, type ForecastClient } from "./forecast-client/forecast-client.ts";
import { type ForecastTransport, httpTransport } from "./forecast-client/forecast-transports.ts";
import { PolicyCatalog } from "./policy/policy-catalog.ts";
import { type DatabaseProvider, noDatabase } from "./store/lazy-database.ts";

export interface DecisionDeps extends ServiceDeps {
  config: DecisionConfig;
  database: DatabaseProvider;
  forecast: ForecastClient;
  policies: PolicyCatalog;
  audit: DecisionAudit;
  apiKeys: ApiKeyRing;
  /** Control-group assignment of campaigns (keyed hash). */
  campaigns: ControlAssignment;
  /** The campaign_incremental_profit gauges (read from campaign_results). */
  campaignMetrics: CampaignMetrics;
}

export const serviceName = "decision";
export const serviceVersion: string = packageJson.version;

/** Ready when the forecast service answers its liveness probe. */
export function forecastReachableCheck(config: DecisionConfig, fetchImpl?: typeof fetch) {
  const url = new URL("/health", config.FORECAST_URL).href;
  return httpReadinessCheck("forecast", url, fetchImpl ? { fetch: fetchImpl } : {});
}

/** Not ready while the decision log buffer is full (decisions would be refused). */
export function auditBufferCheck(audit: DecisionAudit): ReadinessCheck {
  return {
    name: "decision_log",
    async check() {
      if (audit.hasRoomFor(1)) return { ok: true };
      return {
        ok: false,
        reason: `buffer full (${audit.pending} rows): ${audit.problem ?? "database slow"}`,
      };
    },
  };
}

export interface DecisionDepsOptions {
  runtime: string;
  /** The database (decision log, policies, API keys); default: none (decisions answer 503). */
  database?: DatabaseProvider;
  /** How to reach the forecast service; default: HTTP to FORECAST_URL. */
  forecastTransport?: ForecastTransport;
  /** Write each decision's row before answering (Workers) instead of buffering it. */
  writeThrough?: boolean;
  overrides?: Partial<DecisionDeps>;
}

export function buildDecisionDeps(
  config: DecisionConfig,
  options: DecisionDepsOptions,
): DecisionDeps {
  const logger: Logger =
    options.overrides?.logger ??
    createLogger({
      level: config.LOG_LEVEL,
      fields: { service: serviceName, runtime: options.runtime },
    });
  const metrics = options.overrides?.metrics ?? new MetricsRegistry();
  const database =
    options.database ??
    noDatabase(`no database is configured on this runtime (${options.runtime})`);
  const breakerState = metrics.gauge({
    name: "forecast_circuit_state",
    help: "Circuit breaker towards the forecast service: 0 closed, 1 half-open, 2 open.",
  });
  const forecast = createForecastClient({
    transport: options.forecastTransport ?? httpTransport(),
    baseUrl: config.FORECAST_URL,
    timeoutMs: config.FORECAST_TIMEOUT_MS,
    breaker: {
      failureThreshold: config.FORECAST_BREAKER_FAILURES,
      openMs: config.FORECAST_BREAKER_OPEN_MS,
      onStateChange: (state) => logger.warn("forecast circuit breaker changed state", { state }),
    },
  });
  metrics.onCollect(() => {
    const state = forecast.breaker.state;
    breakerState.set(undefined, state === "closed" ? 0 : state === "half_open" ? 1 : 2);
  });
  const sink = decisionLogSink(database);
  const audit =
    options.overrides?.audit ??
    (options.writeThrough
      ? new WriteThroughAuditLog({ sink, logger, metrics })
      : new BufferedAuditLog({
          sink,
          capacity: config.DECISION_LOG_BUFFER_ROWS,
          logger,
          metrics,
        }));
  if (!config.CAMPAIGN_SECRET) {
    logger.warn("CAMPAIGN_SECRET is not set: campaign groups use the development key");
  }
  return {
    config,
    service: serviceName,
    version: serviceVersion,
    logger,
    metrics,
    now: () => performance.now(),
    readiness: [forecastReachableCheck(config), auditBufferCheck(audit)],
    rateLimiter: rateLimiterFromConfig(config),
    database,
    forecast,
    policies: new PolicyCatalog(database, { cacheMs: config.POLICY_CACHE_MS }),
    audit,
    apiKeys: new ApiKeyRing({ envKeys: config.API_KEYS, database }),
    campaigns: new ControlAssignment(config.CAMPAIGN_SECRET ?? DEV_CAMPAIGN_SECRET),
    campaignMetrics: campaignMetrics(metrics, database, { logger }),
    ...options.overrides,
  };
}
