// The forecast service as a Hono app built from injected deps (runtime-neutral).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { createServiceApp } from "@pp/shared/http/service-app.ts";
import { requireStaticApiKey } from "@pp/shared/http/static-api-keys.ts";
import { modelAgeMetrics } from "@pp/shared/metrics/model-age-metrics.ts";
import type { Hono } from "hono";
import type { ForecastDeps } from "./deps.ts";
import { registerForecast } from "./routes/forecast.ts";
import { registerModelInfo } from "./routes/model-info.ts";
import { registerOpenApi } from "./routes/openapi.ts";

export function createApp(deps: ForecastDeps): Hono<AppEnv> {
  const app = createServiceApp(deps);
  modelAgeMetrics(deps.metrics, () => {
    const served = deps.model.current?.identity;
    return served
      ? {
          name: served.name,
          version: served.version,
          trainedAt: served.trainedAt,
          calibrationEnd: served.dataWindow.calibration_end,
        }
      : null;
  });
  // Optional keys (FORECAST_API_KEYS); probes, metrics and the API docs stay open. Without keys
  // no middleware is added (one that only awaits next() still cost ~2 µs of a /forecast).
  if (deps.config.FORECAST_API_KEYS.length > 0) {
    const keys = requireStaticApiKey(
      deps.config.FORECAST_API_KEYS,
      "forecast",
      "FORECAST_API_KEYS",
    );
    app.use("/forecast", keys);
    app.use("/model-info", keys);
  }
  registerForecast(app, deps);
  registerModelInfo(app, deps);
  registerOpenApi(app, deps);
  return app;
}
