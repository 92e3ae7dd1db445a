// The forecast-specific metrics: inference latency by stage, batch sizes and the distribution of
// predicted purchases per model (a drift signal: compare it over time). Every series a request
// touches is bound once here, so a request looks up no labels.
import type { BatchForecast } from "@pp/ml/forecasting/forecast-batch.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { itemErrorSchema } from "./forecast-schemas.ts";

type ItemErrorCode = (typeof itemErrorSchema.shape.code.options)[number];

export type ForecastMetrics = ReturnType<typeof forecastMetrics>;

/**
 * Horizons grouped for the drift series, by their upper bound in weeks: the same customers'
 * mean forecast is 0.075 at 4 weeks and 0.839 at 52, so a change in the callers' mix of horizons
 * read as drift of the model when all were one series.
 */
export const HORIZON_GROUPS = [
  { weeks: 1, label: "le_1w" },
  { weeks: 4, label: "le_4w" },
  { weeks: 13, label: "le_13w" },
  { weeks: 26, label: "le_26w" },
  { weeks: 52, label: "le_52w" },
  { weeks: Number.POSITIVE_INFINITY, label: "gt_52w" },
] as const;

/** The index of the group a horizon (in weeks) belongs to. */
export function horizonGroup(weeks: number): number {
  const at = HORIZON_GROUPS.findIndex((g) => weeks <= g.weeks + 1e-9);
  return at < 0 ? HORIZON_GROUPS.length - 1 : at;
}

export function forecastMetrics(registry: MetricsRegistry) {
  const inference = registry.histogram({
    name: "forecast_inference_duration_seconds",
    help: "Time to compute a /forecast answer, by stage (btyd formulas, gbdt scoring, total).",
    labelNames: ["stage"],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  });
  const batchSize = registry.histogram({
    name: "forecast_batch_size",
    help: "Customers per /forecast request.",
    buckets: [1, 2, 10, 100, 1000, 5000, 10000],
  });
  const predicted = registry.histogram({
    name: "forecast_predicted_purchases",
    help: "Expected purchases over the requested horizon per customer forecast, by model and horizon group (for drift).",
    labelNames: ["model", "horizon"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 50],
  });
  // Customers answered with an error inside a 200 (unknown id, no transactions before as_of, …):
  // invisible to the HTTP metrics, and the sign of a promoted version whose ids changed.
  const itemErrors = registry.counter({
    name: "forecast_item_errors_total",
    help: "Customers of /forecast answered with an item error instead of a forecast (in a 200), by error code.",
    labelNames: ["code"],
  });
  for (const code of itemErrorSchema.shape.code.options) itemErrors.inc({ code }, 0); // 0 from the start
  const stage = {
    total: inference.bind({ stage: "total" }),
    btyd: inference.bind({ stage: "btyd" }),
    gbdt: inference.bind({ stage: "gbdt" }),
  };
  const size = batchSize.bind(undefined);
  // Bound per horizon group (series appear on their first observation).
  const byGroup = HORIZON_GROUPS.map(({ label: horizon }) => ({
    bgnbd: predicted.bind({ model: "bgnbd", horizon }),
    paretoNbd: predicted.bind({ model: "pareto_nbd", horizon }),
    gbdt: predicted.bind({ model: "gbdt", horizon }),
    blend: predicted.bind({ model: "blend", horizon }),
  }));
  return {
    /** A customer answered with an item error. */
    itemError(code: ItemErrorCode): void {
      itemErrors.inc({ code });
    },
    /** The whole request's compute time (milliseconds). */
    total(ms: number): void {
      stage.total.observe(ms / 1000);
    },
    /** A batch's size and the time of its stages (milliseconds). */
    batch(n: number, timings: BatchForecast["timings"], hasGbdt: boolean): void {
      size.observe(n);
      stage.btyd.observe(timings.btydMs / 1000);
      if (hasGbdt) stage.gbdt.observe(timings.gbdtMs / 1000);
    },
    /**
     * Per model, one pass over the column (item errors and customers without a GBDT are NaN
     * there, and not counted): with answered items, and GBDT's and the blend's with GBDT answers;
     * under the request's horizon group.
     */
    predictions(
      result: BatchForecast,
      answered: boolean,
      gbdtAnswered: boolean,
      horizonWeeks: number,
    ): void {
      const byModel = byGroup[horizonGroup(horizonWeeks)] as (typeof byGroup)[number];
      if (answered) {
        byModel.bgnbd.observeAll(result.bgnbd.expectedPurchases);
        byModel.paretoNbd.observeAll(result.paretoNbd.expectedPurchases);
      }
      if (gbdtAnswered && result.gbdt) byModel.gbdt.observeAll(result.gbdt.expectedPurchases);
      if (gbdtAnswered && result.blend) byModel.blend.observeAll(result.blend.expectedPurchases);
    },
  };
}
