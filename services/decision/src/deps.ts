// Builds the decision service's dependencies from its config; tests and entries override parts.
// The database is injected as a lazy provider: the app itself stays runtime-neutral, and the
// Bun/Node/Deno entries hand it the real one (Workers run without: decisions answer 503 there).

import { CampaignShares } from "@pp/shared/campaigns/campaign-shares.ts";
import { rateLimiterFromConfig, type TokenBucketLimiter } from "@pp/shared/http/rate-limit.ts";
import type { ReadinessCheck } from "@pp/shared/http/readiness.ts";
import type { ServiceDeps } from "@pp/shared/http/service-deps.ts";
import { createLogger, type Logger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { ControlAssignment, DEV_CAMPAIGN_SECRET } from "@pp/shared/policy/control-assignment.ts";
import packageJson from "../package.json" with { type: "json" };
import { BufferedAuditLog } from "./audit/audit-log.ts";
import type { DecisionAudit } from "./audit/decision-audit.ts";
import { retentionMetrics } from "./audit/decision-log-retention.ts";
import { decisionLogSink } from "./audit/decision-log-sink.ts";
import { WriteThroughAuditLog } from "./audit/write-through-audit-log.ts";
import { ApiKeyRing } from "./auth/api-key-ring.ts";
import { keyExpiryGauge } from "./auth/key-expiry-gauge.ts";
import { type CampaignMetrics, campaignMetrics } from "./campaigns/campaign-metrics.ts";
import type { DecisionConfig } from "./config.ts";
import { createForecastClient, type ForecastClient } from "./forecast-client/forecast-client.ts";
import { type ForecastTransport, httpTransport } from "./forecast-client/forecast-transports.ts";
import { askIdsLowerCased } from "./forecast-client/model-id-case.ts";
import { PolicyCatalog } from "./policy/policy-catalog.ts";
import { IdCaseRule } from "./store/id-case-rule.ts";
import { type DatabaseProvider, noDatabase } from "./store/lazy-database.ts";

export interface DecisionDeps extends ServiceDeps {
  config: DecisionConfig;
  database: DatabaseProvider;
  forecast: ForecastClient;
  /** Whether customer ids are case-insensitive here, learnt from the forecast service. */
  idCaseRule: IdCaseRule;
  policies: PolicyCatalog;
  audit: DecisionAudit;
  apiKeys: ApiKeyRing;
  /** Control-group assignment of campaigns (keyed hash). */
  campaigns: ControlAssignment;
  /** Each campaign's control share, pinned at its first decision. */
  campaignShares: CampaignShares;
  /** The campaign_incremental_profit gauges (read from campaign_results). */
  campaignMetrics: CampaignMetrics;
  /** Applied after key verification: per verified key, else per client address. */
  keyRateLimiter: TokenBucketLimiter | null;
}

export const serviceName = "decision";
const serviceVersion: string = packageJson.version;

/** Degraded (still ready) while the forecast service is not ready: decisions fall back or fail
 * per policy, but they are still recorded. The reason is short; no body is passed on. */
export function forecastReadyCheck(
  config: DecisionConfig,
  fetchImpl?: typeof fetch,
): ReadinessCheck {
  const url = new URL("/ready", config.FORECAST_URL).href;
  const doFetch = fetchImpl ?? fetch;
  return {
    name: "forecast",
    async check() {
      try {
        const res = await doFetch(url, { signal: AbortSignal.timeout(1500) });
        await res.body?.cancel();
        if (res.ok) return { ok: true };
        return { ok: true, degraded: true, reason: `forecast not ready (answered ${res.status})` };
      } catch (err) {
        const timeout = err instanceof Error && err.name === "TimeoutError";
        return {
          ok: true,
          degraded: true,
          reason: timeout ? "forecast not ready (timed out)" : "forecast unreachable",
        };
      }
    },
  };
}

/** Not ready while decisions have no policy to run (they would all be refused with 503). */
export function policyCheck(policies: PolicyCatalog): ReadinessCheck {
  return { name: "policy", check: () => policies.check() };
}

/** Not ready while decisions cannot be recorded (they would all be refused with 503). */
function decisionLogCheck(audit: DecisionAudit): ReadinessCheck {
  return { name: "decision_log", check: () => audit.check() };
}

export interface DecisionDepsOptions {
  runtime: string;
  /** The database (decision log, policies, API keys); default: none (decisions answer 503). */
  database?: DatabaseProvider;
  /** How to reach the forecast service; default: HTTP to FORECAST_URL. */
  forecastTransport?: ForecastTransport;
  /** Write each decision's row in its own request (Workers: nothing is shared across requests)
   * instead of group commit; either way the row is committed before the answer. */
  writeThrough?: boolean;
  /** Bytes free on the embedded store's disk (entry-database.ts): a full disk is not ready. */
  freeDiskBytes?: () => number | undefined;
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
  const campaigns = new ControlAssignment(config.CAMPAIGN_SECRET ?? DEV_CAMPAIGN_SECRET);
  const database =
    options.database ??
    noDatabase(`no database is configured on this runtime (${options.runtime})`);
  const { forecast, idCaseRule } = forecastClientOf(
    config,
    options.forecastTransport ?? httpTransport(),
    database,
    logger,
  );
  breakerGauge(metrics, forecast);
  const audit =
    options.overrides?.audit ??
    auditLogOf(config, options, decisionLogSink(database), logger, metrics);
  retentionMetrics(metrics); // exported at 0 from the start, pruning or not
  const policies =
    options.overrides?.policies ?? new PolicyCatalog(database, { cacheMs: config.POLICY_CACHE_MS });
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
    readiness: [forecastReadyCheck(config), decisionLogCheck(audit), policyCheck(policies)],
    // Not the shared per-address middleware: requireApiKey limits per verified key.
    rateLimiter: null,
    keyRateLimiter: rateLimiterFromConfig(config),
    database,
    forecast,
    idCaseRule,
    policies,
    audit,
    apiKeys: keyExpiryGauge(
      metrics,
      // Without a database (Workers) there are no stored keys: an unknown key is a 401, not the
      // 503 of a database that is away.
      new ApiKeyRing({
        envKeys: config.API_KEYS,
        envAdminKeys: config.ADMIN_API_KEYS,
        checkMs: config.API_KEY_CHECK_MS,
        ...(options.database ? { database: options.database } : {}),
      }),
    ),
    campaigns,
    campaignShares: new CampaignShares(database, campaigns),
    campaignMetrics: campaignMetrics(metrics, database, {
      logger,
      maxReportAgeDays: config.CAMPAIGN_METRICS_MAX_AGE_DAYS,
      maxCampaigns: config.CAMPAIGN_METRICS_MAX_CAMPAIGNS,
    }),
    ...options.overrides,
  };
}

/**
 * The client of the forecast service (timeout, circuit breaker), learning from its answers the
 * case rule of customer ids (store/id-case-rule.ts), and that rule for the admin lookups.
 */
function forecastClientOf(
  config: DecisionConfig,
  transport: ForecastTransport,
  database: DatabaseProvider,
  logger: Logger,
): { forecast: ForecastClient; idCaseRule: IdCaseRule } {
  // The same service, key and time limit for /forecast and for the /model-info question.
  const target = {
    transport,
    baseUrl: config.FORECAST_URL,
    ...(config.FORECAST_API_KEY ? { apiKey: config.FORECAST_API_KEY } : {}),
    timeoutMs: config.FORECAST_TIMEOUT_MS,
  };
  const client = createForecastClient({
    ...target,
    breaker: {
      failureThreshold: config.FORECAST_BREAKER_FAILURES,
      openMs: config.FORECAST_BREAKER_OPEN_MS,
      onStateChange: (state) => logger.warn("forecast circuit breaker changed state", { state }),
    },
  });
  const idCaseRule = new IdCaseRule({
    database,
    logger,
    ask: () => askIdsLowerCased(target),
  });
  return { forecast: idCaseRule.learningFrom(client), idCaseRule };
}

/** The circuit breaker's state towards the forecast service, read at each scrape. */
function breakerGauge(metrics: MetricsRegistry, forecast: { breaker: { state: string } }): void {
  const breakerState = metrics.gauge({
    name: "forecast_circuit_state",
    help: "Circuit breaker towards the forecast service: 0 closed, 1 half-open, 2 open.",
  });
  metrics.onCollect(() => {
    const state = forecast.breaker.state;
    breakerState.set(undefined, state === "closed" ? 0 : state === "half_open" ? 1 : 2);
  });
}

/** The decision log's writer: a row per request (Workers) or group commit. */
function auditLogOf(
  config: DecisionConfig,
  options: DecisionDepsOptions,
  sink: ReturnType<typeof decisionLogSink>,
  logger: Logger,
  metrics: MetricsRegistry,
) {
  if (options.writeThrough) return new WriteThroughAuditLog({ sink, logger, metrics });
  return new BufferedAuditLog({
    sink,
    capacity: config.DECISION_LOG_BUFFER_ROWS,
    commitTimeoutMs: config.DECISION_LOG_COMMIT_TIMEOUT_MS,
    freeDiskBytes: options.freeDiskBytes,
    logger,
    metrics,
  });
}
