// The forecast-specific metrics: inference latency by stage, batch sizes and the distribution of
// predicted purchases per model (a drift signal: compare it over time).
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";

export function forecastMetrics(registry: MetricsRegistry) {
  return {
    inference: registry.histogram({
      name: "forecast_inference_duration_seconds",
      help: "Time to compute a /forecast answer, by stage (btyd formulas, gbdt scoring, total).",
      labelNames: ["stage"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    }),
    batchSize: registry.histogram({
      name: "forecast_batch_size",
      help: "Customers per /forecast request.",
      buckets: [1, 2, 10, 100, 1000, 5000, 10000],
    }),
    predicted: registry.histogram({
      name: "forecast_predicted_purchases",
      help: "Expected purchases over the requested horizon per customer forecast, by model (for drift).",
      labelNames: ["model"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 50],
    }),
  };
}
