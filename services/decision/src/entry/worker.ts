// Cloudflare Workers entry (wrangler / workerd): config comes from the `env` bindings; the app
// is built once per isolate, on the first request. A `FORECAST` service binding, when present,
// replaces HTTP to FORECAST_URL. The database is PostgreSQL through the `HYPERDRIVE` binding: a
// client per request (store/hyperdrive-database.ts), and each decision's row is written before
// the answer. Without the binding, decisions answer 503 and /ready says why.
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { configOrError } from "@pp/shared/http/worker-start-up.ts";
import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, forecastReadyCheck } from "../deps.ts";
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
  const deps = buildDecisionDeps(config, {
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
  ];
  return createApp(deps);
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
    if (!app) {
      const built = buildApp(env);
      if (built instanceof Response) return built;
      app = built;
    }
    const current = app;
    if (!hyperdrive) return current.fetch(request, env, ctx);
    return hyperdrive.run(ctx, async () => current.fetch(request, env, ctx));
  },
};
