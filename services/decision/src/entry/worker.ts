// Cloudflare Workers entry (wrangler / workerd): config comes from the `env` bindings; the app
// is built once per isolate, on the first request. A `FORECAST` service binding, when present,
// replaces HTTP to FORECAST_URL. The database is PostgreSQL through the `HYPERDRIVE` binding: a
// client per request (store/hyperdrive-database.ts), and each decision's row is written before
// the answer. Without the binding, decisions answer 503 and /ready says why. A Cron Trigger
// (wrangler.toml `[triggers]`) runs the decision log's retention, since no timer runs here.
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { configOrError } from "@pp/shared/http/worker-start-up.ts";
import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../app.ts";
import { pruneDecisionLog } from "../audit/decision-log-retention.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps, forecastReadyCheck, policyCheck } from "../deps.ts";
import {
  type FetchTarget,
  serviceBindingTransport,
} from "../forecast-client/forecast-transports.ts";
import { databaseReadinessCheck } from "../store/database-readiness.ts";
import {
  type HyperdriveDatabase,
  hyperdriveDatabase,
  isHyperdriveBinding,
} from "../store/hyperdrive-database.ts";
import { noDatabase } from "../store/lazy-database.ts";

let app: Hono<AppEnv> | undefined;
let deps: DecisionDeps | undefined;
let hyperdrive: HyperdriveDatabase | undefined;

function isFetchTarget(value: unknown): value is FetchTarget {
  return typeof (value as FetchTarget | undefined)?.fetch === "function";
}

function buildApp(env: Record<string, unknown>): Hono<AppEnv> | Response {
  const config = configOrError(parseConfig, env);
  if (config instanceof Response) return config;
  const forecast = env.FORECAST;
  hyperdrive = isHyperdriveBinding(env.HYPERDRIVE) ? hyperdriveDatabase(env.HYPERDRIVE) : undefined;
  const database =
    hyperdrive?.provider ??
    noDatabase(
      "no database on this Worker: add the HYPERDRIVE binding (see services/decision/wrangler.toml)",
    );
  deps = buildDecisionDeps(config, {
    runtime: "workerd",
    database,
    writeThrough: true,
    ...(isFetchTarget(forecast) ? { forecastTransport: serviceBindingTransport(forecast) } : {}),
  });
  deps.readiness = [
    isFetchTarget(forecast)
      ? forecastReadyCheck(config, ((input: RequestInfo | URL, init?: RequestInit) =>
          forecast.fetch(new Request(input, init))) as typeof fetch)
      : forecastReadyCheck(config),
    databaseReadinessCheck(database),
    policyCheck(deps.policies),
  ];
  return createApp(deps);
}

/** The app of this isolate, built on first use (a Response when the config is invalid). */
function appFor(env: Record<string, unknown>): Hono<AppEnv> | Response {
  if (!app) {
    const built = buildApp(env);
    if (built instanceof Response) return built;
    app = built;
  }
  return app;
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
    const current = appFor(env);
    if (current instanceof Response) return current;
    if (!hyperdrive) return current.fetch(request, env, ctx);
    return hyperdrive.run(ctx, async () => current.fetch(request, env, ctx));
  },

  /** Cron Trigger: deletes decisions older than DECISION_LOG_RETENTION_DAYS (unset: nothing). */
  async scheduled(_controller: unknown, env: Record<string, unknown>, ctx: ExecutionContext) {
    const built = appFor(env);
    if (built instanceof Response) throw new Error(await built.text());
    const days = deps?.config.DECISION_LOG_RETENTION_DAYS;
    if (!deps || !hyperdrive || !days) return;
    const current = deps;
    await hyperdrive.run(ctx, () => pruneDecisionLog(current, days));
  },
};
