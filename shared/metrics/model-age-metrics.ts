// Model age as metrics: when the served model was trained and where its data end (its cutoff),
// as unix timestamps, so alerts compute the age with `time() - ...` (alert: ModelTooOld).
import type { MetricsRegistry } from "./registry.ts";

export interface ServedModelDates {
  name: string;
  version: number;
  /** ISO timestamp of training. */
  trainedAt: string;
  /** Calibration end (the features' cutoff), YYYY-MM-DD. */
  calibrationEnd: string;
}

/** Sets the gauges from `current()` before each exposition (nothing while no model is loaded). */
export function modelAgeMetrics(
  registry: MetricsRegistry,
  current: () => ServedModelDates | null,
): void {
  const trained = registry.gauge({
    name: "model_trained_timestamp_seconds",
    help: "When the served model version was trained (unix seconds).",
    labelNames: ["name", "version"],
  });
  const cutoff = registry.gauge({
    name: "model_data_cutoff_timestamp_seconds",
    help: "End of the served model's calibration data, its features' cutoff (unix seconds).",
    labelNames: ["name", "version"],
  });
  registry.onCollect(() => {
    trained.reset();
    cutoff.reset();
    const model = current();
    if (!model) return;
    const labels = { name: model.name, version: String(model.version) };
    const trainedMs = Date.parse(model.trainedAt);
    if (Number.isFinite(trainedMs)) trained.set(labels, trainedMs / 1000);
    const cutoffMs = Date.parse(`${model.calibrationEnd}T23:59:59Z`);
    if (Number.isFinite(cutoffMs)) cutoff.set(labels, cutoffMs / 1000);
  });
}
