// Exposes the latest `ml track` results of the production model as Prometheus gauges, so that
// alerts and dashboards see production accuracy (predicted vs. realized) next to live traffic.
// Runtime-neutral: the forecast service polls the database and calls `show`.

import type { Database } from "../db/database.ts";
import { latestProductionTracking, type TrackingSnapshot } from "../registry/tracking-store.ts";
import type { MetricsRegistry } from "./registry.ts";

/** Metric names (the dashboards and alert rules use these). */
export const TRACKING_METRIC_NAMES = {
  mae: "forecast_realized_mae",
  rmse: "forecast_realized_rmse",
  bias: "forecast_realized_bias",
  predictedMean: "forecast_realized_predicted_mean",
  realizedMean: "forecast_realized_actual_mean",
  customers: "forecast_realized_customers",
  ratio: "forecast_realized_to_predicted_ratio",
  calibrationError: "forecast_realized_calibration_error",
  windowEnd: "forecast_tracking_window_end_timestamp_seconds",
  trackedAt: "forecast_tracking_run_timestamp_seconds",
} as const;

export interface TrackingGauges {
  /** Replaces every tracking series with these snapshots (an empty list clears them). */
  show(snapshots: readonly TrackingSnapshot[]): void;
}

/**
 * The gauges and how a snapshot sets them. Long (88 lines) but flat: a table of ten gauge
 * declarations, each with its help text, then one loop that fills them.
 */
export function trackingGauges(registry: MetricsRegistry): TrackingGauges {
  const segmentLabels = ["model", "version", "forecaster", "segment"] as const;
  const runLabels = ["model", "version", "forecaster"] as const;
  const perSegment = {
    mae: registry.gauge({
      name: TRACKING_METRIC_NAMES.mae,
      help: "ml track: mean absolute error of forecast vs. realized purchases per customer, by segment.",
      labelNames: segmentLabels,
    }),
    rmse: registry.gauge({
      name: TRACKING_METRIC_NAMES.rmse,
      help: "ml track: root mean squared error of forecast vs. realized purchases, by segment.",
      labelNames: segmentLabels,
    }),
    bias: registry.gauge({
      name: TRACKING_METRIC_NAMES.bias,
      help: "ml track: mean forecast minus mean realized purchases per customer (> 0 over-forecasts).",
      labelNames: segmentLabels,
    }),
    predictedMean: registry.gauge({
      name: TRACKING_METRIC_NAMES.predictedMean,
      help: "ml track: mean forecast purchases per customer in the tracked window, by segment.",
      labelNames: segmentLabels,
    }),
    realizedMean: registry.gauge({
      name: TRACKING_METRIC_NAMES.realizedMean,
      help: "ml track: mean realized purchases per customer in the tracked window, by segment.",
      labelNames: segmentLabels,
    }),
    customers: registry.gauge({
      name: TRACKING_METRIC_NAMES.customers,
      help: "ml track: customers compared, by segment.",
      labelNames: segmentLabels,
    }),
  };
  const perRun = {
    ratio: registry.gauge({
      name: TRACKING_METRIC_NAMES.ratio,
      help: "ml track: total realized / total forecast purchases in the window (1 = calibrated in aggregate).",
      labelNames: runLabels,
    }),
    calibrationError: registry.gauge({
      name: TRACKING_METRIC_NAMES.calibrationError,
      help: "ml track: customer-weighted mean |forecast - realized| over bins of the forecast.",
      labelNames: runLabels,
    }),
    windowEnd: registry.gauge({
      name: TRACKING_METRIC_NAMES.windowEnd,
      help: "ml track: end of the tracked window (unix seconds).",
      labelNames: runLabels,
    }),
    trackedAt: registry.gauge({
      name: TRACKING_METRIC_NAMES.trackedAt,
      help: "ml track: when the tracking result was computed (unix seconds).",
      labelNames: runLabels,
    }),
  };
  return {
    show(snapshots) {
      for (const gauge of [...Object.values(perSegment), ...Object.values(perRun)]) gauge.reset();
      for (const s of snapshots) {
        const run = { model: s.modelName, version: String(s.version), forecaster: s.forecaster };
        const m = s.metrics;
        if (typeof m.realized_to_predicted === "number" && m.realized_to_predicted >= 0) {
          perRun.ratio.set(run, m.realized_to_predicted);
        }
        if (typeof m.calibration_error === "number") {
          perRun.calibrationError.set(run, m.calibration_error);
        }
        perRun.windowEnd.set(run, Date.parse(`${s.windowEnd}T23:59:59Z`) / 1000);
        perRun.trackedAt.set(run, s.trackedAt.getTime() / 1000);
        for (const seg of s.segments) {
          const labels = { ...run, segment: String(seg.segment) };
          const num = (key: string) => {
            const v = seg[key];
            return typeof v === "number" ? v : Number.NaN;
          };
          perSegment.mae.set(labels, num("mae"));
          perSegment.rmse.set(labels, num("rmse"));
          perSegment.bias.set(labels, num("bias"));
          perSegment.predictedMean.set(labels, num("predicted_mean"));
          perSegment.realizedMean.set(labels, num("realized_mean"));
          perSegment.customers.set(labels, num("customers"));
        }
      }
    },
  };
}

export interface TrackingMetricsPoller {
  /** Reads the latest results now; resolves to how many forecasters are shown. */
  refresh(): Promise<number>;
  stop(): void;
}

/**
 * Shows the production version's latest tracking results and re-reads them every `intervalMs`
 * (0 = only once). A failed read keeps the previous values and is reported to `onError`.
 */
export function pollTrackingMetrics(options: {
  db: Database;
  metrics: MetricsRegistry;
  modelName: string;
  intervalMs: number;
  onError?: (error: unknown) => void;
  /** Called after each read that succeeded (e.g. to say a failure is over). */
  onRead?: () => void;
}): TrackingMetricsPoller {
  const gauges = trackingGauges(options.metrics);
  const refresh = async () => {
    try {
      const snapshots = await latestProductionTracking(options.db, options.modelName);
      gauges.show(snapshots);
      options.onRead?.();
      return snapshots.length;
    } catch (error) {
      options.onError?.(error);
      return -1;
    }
  };
  void refresh();
  const timer =
    options.intervalMs > 0 ? setInterval(() => void refresh(), options.intervalMs) : null;
  (timer as { unref?: () => void } | null)?.unref?.();
  return {
    refresh,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
