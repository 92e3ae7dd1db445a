// Logs a training run to MLflow (parameters, key metrics, the bundle as artifacts) when
// MLFLOW_TRACKING_URI is set. Tracking is a side channel: any failure is a warning, never a failed
// training run.

import type { ModelBundle } from "./model-bundle.ts";
import { registryMetrics } from "./register-bundle.ts";
import type { StepLog } from "./step-log.ts";
import type { TrainedModels } from "./train-models.ts";

export async function trackTrainingRun(
  trackingUri: string,
  trained: TrainedModels,
  bundle: ModelBundle,
  steps: StepLog,
): Promise<void> {
  try {
    // Resolved at run time so that training never depends on the tracking client being present.
    const modulePath = "../tracking/mlflow-client.ts";
    const { MlflowTracker } = await import(modulePath);
    const tracker = new MlflowTracker({ trackingUri });
    const params: Record<string, string> = {};
    for (const [model, p] of Object.entries({
      bgnbd: trained.bgnbd.params,
      pareto_nbd: trained.paretoNbd.params,
      gamma_gamma: trained.gammaGamma?.params ?? {},
    })) {
      for (const [k, v] of Object.entries(p)) params[`${model}.${k}`] = String(v);
    }
    const data = trained.metrics.data;
    Object.assign(params, {
      calibration_end: data.calibration_end,
      holdout_end: data.holdout_end ?? "",
      time_unit: data.time_unit,
      recommended: trained.recommended,
    });
    await tracker.logRun({
      experiment: "purchase-prediction",
      params,
      metrics: registryMetrics(trained),
      artifacts: [...bundle].map(([name, bytes]) => ({ name, bytes })),
    });
    steps.info(`MLflow: run logged at ${trackingUri}`);
  } catch (error) {
    steps.warn(`MLflow tracking failed (training is unaffected): ${(error as Error).message}`);
  }
}
