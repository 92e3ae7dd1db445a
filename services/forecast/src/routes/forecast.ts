// POST /forecast: one customer or up to 10,000, by id, summary or transactions; per customer the
// BG/NBD, Pareto/NBD and GBDT forecasts and the recommended model. An unknown id fails its item only.

import { forecastBatch } from "@pp/ml/forecasting/forecast-batch.ts";
import { horizonInModelUnits } from "@pp/ml/forecasting/horizon.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { readJsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { bodySizeLimit } from "@pp/shared/http/body-size-limit.ts";
import { jsonAnswer } from "@pp/shared/http/compress-answers.ts";
import type { Hono } from "hono";
import type { ForecastDeps } from "../deps.ts";
import { readsIdsLowerCased, resolveCustomers } from "../forecasting/customer-batch.ts";
import { type BatchIntervals, batchIntervals } from "../forecasting/interval-columns.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import { answerContext, forecastItem, round } from "./forecast-answer.ts";
import { type ForecastMetrics, forecastMetrics } from "./forecast-metrics.ts";
import { forecastRequestFastPath } from "./forecast-request-fast-path.ts";
import {
  type ForecastItem,
  type ForecastRequest,
  type ForecastResponse,
  forecastRequestSchema,
} from "./forecast-schemas.ts";

export function registerForecast(app: Hono<AppEnv>, deps: ForecastDeps): void {
  const metrics = forecastMetrics(deps.metrics);
  app.post(
    "/forecast",
    bodySizeLimit(
      deps.config.MAX_BODY_BYTES,
      "split the customers into several requests",
      deps.config.BODY_READ_TIMEOUT_MS,
    ),
    async (c) => {
      // The body is read here, not by a middleware: one layer fewer on the hottest route.
      const request = await readJsonBody(c, forecastRequestSchema, {
        fastPath: forecastRequestFastPath,
      });
      // Read the reference once: a swap during this request does not change its model.
      const model = deps.model.current;
      if (!model) {
        // A refused bundle (too big for the isolate, corrupt) is said, not hidden behind "retry".
        const failure = deps.model.loadFailure;
        const message = failure
          ? `No model is loaded: ${failure}`
          : "No model is loaded yet; try again shortly";
        throw new AppError("not_ready", message, {
          headers: { "Retry-After": "1" },
        });
      }
      const started = deps.now();
      const body = await forecast(model, request, deps, metrics, c.req.raw.signal);
      const serverMs = deps.now() - started;
      metrics.total(serverMs);
      const logFields = c.get("logFields");
      logFields.customers = request.customers.length;
      logFields.model_version = model.identity.version;
      // One Response with both headers (c.header + c.json built a Headers object and copied it).
      // gzip when asked and 1 KiB or more (compressAnswers leaves /forecast to this).
      return jsonAnswer(c.req.raw, JSON.stringify(body), {
        "content-type": "application/json",
        "server-timing": `forecast;dur=${serverMs.toFixed(3)}`,
      });
    },
  );
}

async function forecast(
  model: LoadedModel,
  request: ForecastRequest,
  deps: ForecastDeps,
  metrics: ForecastMetrics,
  signal: AbortSignal,
): Promise<ForecastResponse> {
  const horizon = horizonInModelUnits(request.horizon, model.timeUnit);
  const batch = resolveCustomers(model, request.customers, request.as_of);
  const result = await forecastBatch(model, batch, horizon, request.discount_rate, deps.now);
  metrics.batch(batch.n, result.timings, result.gbdt !== null);
  const levels = request.intervals ?? [];
  const distribution = request.distribution === true;
  const intervals: BatchIntervals | null =
    levels.length > 0 || distribution
      ? await batchIntervals(model, batch, result, levels, distribution, {
          signal,
          timeLimitMs: deps.config.INTERVALS_TIME_LIMIT_MS,
          maxDistributionValues: deps.config.DISTRIBUTION_MAX_VALUES,
        })
      : null;
  const ctx = answerContext(model, batch, result, intervals, { levels, distribution });
  const forecasts: ForecastItem[] = new Array(batch.n);
  let answered = 0;
  let withGbdt = 0;
  batch.ids.forEach((id, i) => {
    const item = forecastItem(ctx, id, i);
    forecasts[i] = item;
    if ("models" in item) {
      answered++;
      if (item.models.gbdt) withGbdt++;
    } else metrics.itemError(item.error.code);
  });
  const weeks = horizonInModelUnits(request.horizon, "week");
  metrics.predictions(result, answered > 0, withGbdt > 0, weeks);
  return {
    model: {
      name: model.identity.name,
      version: model.identity.version,
      // The decision service records it: its store, kept apart, cannot read the registry's rule.
      ids_lower_cased: readsIdsLowerCased(model),
    },
    horizon: request.horizon,
    horizon_model_units: round(horizon) ?? Number.NaN,
    time_unit: model.timeUnit,
    discount_rate: request.discount_rate,
    generated_at: new Date().toISOString(),
    forecasts,
  };
}
