// Cloudflare Workers entry (wrangler / workerd): config comes from the `env` bindings; the app
// is built once per isolate, on the first request. A `FORECAST` service binding, when present,
// replaces HTTP to FORECAST_URL. There is no database on Workers: /decision answers 503 there
// (decisions are never made without a decision-log record).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { configOrError } from "@pp/shared/http/worker-start-up.ts";
import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";
import {
  type FetchTarget,
  serviceBindingTransport,
} from "../forecast-client/forecast-transports.ts";

let app: Hono<AppEnv> | undefined;

function isFetchTarget(value: unknown): value is FetchTarget {
  return typeof (value as FetchTarget | undefined)?.fetch === "function";
}

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
    if (!app) {
      const config = configOrError(parseConfig, env);
      if (config instanceof Response) return config;
      const binding = env.FORECAST;
      app = createApp(
        buildDecisionDeps(config, {
          runtime: "workerd",
          ...(isFetchTarget(binding)
            ? { forecastTransport: serviceBindingTransport(binding) }
            : {}),
        }),
      );
    }
    return app.fetch(request, env, ctx);
  },
};
