// The forecast service as a Hono app built from injected deps (runtime-neutral).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { createServiceApp } from "@pp/shared/http/service-app.ts";
import type { Hono } from "hono";
import type { ForecastDeps } from "./deps.ts";

export function createApp(deps: ForecastDeps): Hono<AppEnv> {
  const app = createServiceApp(deps);
  // Forecast routes register here, e.g. registerForecastRoutes(app, deps).
  return app;
}
