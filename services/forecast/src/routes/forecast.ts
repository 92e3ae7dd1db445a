// POST /forecast: one customer or up to 10,000, by id, summary or transactions; per customer the
// BG/NBD, Pareto/NBD and GBDT forecasts and the recommended model. An unknown id fails its item only.

import {
  type BatchForecast,
  forecastBatch,
  type ModelColumns,
} from "@pp/ml/forecasting/forecast-batch.ts";
import { horizonInModelUnits } from "@pp/ml/forecasting/horizon.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { bodySizeLimit } from "@pp/shared/http/body-size-limit.ts";
import type { Hono } from "hono";
import type { ForecastDeps } from "../deps.ts";
import { resolveCustomers } from "../forecasting/customer-batch.ts";
import {
  type BatchIntervals,
  batchIntervals,
  distributionJson,
  intervalsJson,
} from "../forecasting/interval-columns.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import { forecastMetrics } from "./forecast-metrics.ts";
import { forecastRequestFastPath } from "./forecast-request-fast-path.ts";
import { type ForecastRequest, forecastRequestSchema } from "./forecast-schemas.ts";

/** 9 decimals: plenty for money and probabilities, and it hides last-bit differences between engines. */
function round(v: number): number | null {
  return Number.isFinite(v) ? Math.round(v * 1e9) / 1e9 : null;
}

function modelValues(cols: ModelColumns, i: number) {
  return {
    expected_purchases: round(cols.expectedPurchases[i] as number),
    p_alive: round(cols.pAlive[i] as number),
    p_purchase: round(cols.pPurchase[i] as number),
    expected_spend: round(cols.expectedSpend[i] as number),
    clv: round(cols.clv[i] as number),
  };
}

/** "model.field" of the first figure that is not a finite number, else undefined. */
function firstNonFinite(models: Record<string, Record<string, number | null>>): string | undefined {
  for (const [model, values] of Object.entries(models)) {
    for (const [field, v] of Object.entries(values)) if (v === null) return `${model}.${field}`;
  }
  return undefined;
}

function notComputable(id: string, figure: string) {
  return {
    code: "not_computable",
    message:
      `customer ${JSON.stringify(id)}: the models cannot compute a finite ${figure} for this ` +
      "summary; check that frequency, recency and T are in the model's time unit (/model-info)",
  };
}

export function registerForecast(app: Hono<AppEnv>, deps: ForecastDeps): void {
  const metrics = forecastMetrics(deps.metrics);
  app.post(
    "/forecast",
    bodySizeLimit(deps.config.MAX_BODY_BYTES, "split the customers into several requests"),
    jsonBody(forecastRequestSchema, { fastPath: forecastRequestFastPath }),
    async (c) => {
      // Read the reference once: a swap during this request does not change its model.
      const model = deps.model.current;
      if (!model) {
        throw new AppError("not_ready", "No model is loaded yet; try again shortly", {
          headers: { "Retry-After": "1" },
        });
      }
      const request = c.req.valid("json");
      const started = deps.now();
      const body = await forecast(model, request, deps, metrics);
      const serverMs = deps.now() - started;
      metrics.inference.observe({ stage: "total" }, serverMs / 1000);
      c.header("Server-Timing", `forecast;dur=${serverMs.toFixed(3)}`);
      c.get("logFields").customers = request.customers.length;
      c.get("logFields").model_version = model.identity.version;
      return c.json(body);
    },
  );
}

async function forecast(
  model: LoadedModel,
  request: ForecastRequest,
  deps: ForecastDeps,
  metrics: ReturnType<typeof forecastMetrics>,
) {
  const horizon = horizonInModelUnits(request.horizon, model.timeUnit);
  const batch = resolveCustomers(model, request.customers, request.as_of);
  const result: BatchForecast = await forecastBatch(
    model,
    batch,
    horizon,
    request.discount_rate,
    deps.now,
  );
  metrics.batchSize.observe(undefined, batch.n);
  metrics.inference.observe({ stage: "btyd" }, result.timings.btydMs / 1000);
  if (result.gbdt) metrics.inference.observe({ stage: "gbdt" }, result.timings.gbdtMs / 1000);

  const levels = request.intervals ?? [];
  const wantsDistribution = request.distribution === true;
  const intervals: BatchIntervals | null =
    levels.length > 0 || wantsDistribution
      ? batchIntervals(model, batch, result, levels, wantsDistribution)
      : null;
  const withUncertainty = (
    name: keyof BatchIntervals,
    values: Record<string, unknown>,
    i: number,
  ) => {
    const m = intervals?.[name];
    if (!m) {
      const why = model.manifest.uncertainty?.covariances.omitted?.[name as "bgnbd"];
      if (why) values.intervals_unavailable = why;
      return values;
    }
    if (levels.length > 0) values.intervals = intervalsJson(m, levels, i);
    if (wantsDistribution) values.distribution = distributionJson(m, i);
    return values;
  };
  const scaled = Math.abs(horizon - model.trainedHorizon) > 1e-9;
  const preferred = model.manifest.recommended;
  const forecasts = new Array(batch.n);
  let answered = 0;
  let withGbdt = 0;
  for (let i = 0; i < batch.n; i++) {
    const id = batch.ids[i] as string;
    const error = batch.errors[i];
    if (error) {
      forecasts[i] = { id, error };
      continue;
    }
    const gbdt = result.gbdt;
    const bgnbd = modelValues(result.bgnbd, i);
    const paretoNbd = modelValues(result.paretoNbd, i);
    const unusable = firstNonFinite({ bgnbd, pareto_nbd: paretoNbd });
    if (unusable) {
      // Never null figures: a summary the formulas cannot compute fails its own item.
      forecasts[i] = { id, error: notComputable(id, unusable) };
      continue;
    }
    const gbdtValues = gbdt ? modelValues(gbdt, i) : null;
    const hasGbdt =
      gbdt !== null &&
      !Number.isNaN(gbdt.expectedPurchases[i] as number) &&
      gbdtValues !== null &&
      firstNonFinite({ gbdt: gbdtValues }) === undefined;
    const models: Record<string, unknown> = {
      bgnbd: intervals ? withUncertainty("bgnbd", bgnbd, i) : bgnbd,
      pareto_nbd: intervals ? withUncertainty("pareto_nbd", paretoNbd, i) : paretoNbd,
    };
    answered++;
    if (hasGbdt && gbdt) {
      // Built field by field (no spreads): the same keys in the same order, less copying.
      const values: Record<string, unknown> = gbdtValues as Record<string, unknown>;
      values.predicted_spend = round(gbdt.predictedSpend[i] as number);
      values.horizon_scaled = scaled;
      models.gbdt = intervals ? withUncertainty("gbdt", values, i) : values;
      withGbdt++;
    }
    const blend = result.blend;
    const blendValues = blend ? modelValues(blend, i) : null;
    const hasBlend =
      blend !== null &&
      !Number.isNaN(blend.expectedPurchases[i] as number) &&
      blendValues !== null &&
      firstNonFinite({ blend: blendValues }) === undefined;
    if (hasBlend && blendValues) {
      models.blend = intervals ? withUncertainty("blend", blendValues, i) : blendValues;
    }
    const asOf = batch.asOf[i];
    const item: Record<string, unknown> = { id, basis: batch.basis[i] };
    if (asOf) item.as_of = asOf;
    item.summary = {
      frequency: batch.x[i],
      recency: round(batch.tx[i] as number),
      T: round(batch.T[i] as number),
      monetary: round(batch.monetary[i] as number),
    };
    item.recommended =
      (preferred === "gbdt" && !hasGbdt) || (preferred === "blend" && !hasBlend)
        ? "bgnbd"
        : preferred;
    item.models = models;
    forecasts[i] = item;
  }
  // Per model, one pass over the column (item errors and customers without a GBDT are NaN there).
  if (answered > 0) {
    metrics.predicted.observeAll({ model: "bgnbd" }, result.bgnbd.expectedPurchases);
    metrics.predicted.observeAll({ model: "pareto_nbd" }, result.paretoNbd.expectedPurchases);
  }
  if (withGbdt > 0 && result.gbdt) {
    metrics.predicted.observeAll({ model: "gbdt" }, result.gbdt.expectedPurchases);
  }
  return {
    model: { name: model.identity.name, version: model.identity.version },
    horizon: request.horizon,
    horizon_model_units: round(horizon),
    time_unit: model.timeUnit,
    discount_rate: request.discount_rate,
    generated_at: new Date().toISOString(),
    forecasts,
  };
}
