// Logs a training run to MLflow (parameters, key metrics, the bundle as artifacts, and a registered
// model version when --register names one) when MLFLOW_TRACKING_URI is set. Tracking is a side
// channel: any failure is a warning, never a failed training run.

import type { ModelBundle } from "../bundle/model-bundle.ts";
import { isTrackingWarning, MlflowTracker } from "../tracking/mlflow-client.ts";
import { registryMetrics } from "./register-bundle.ts";
import type { StepLog } from "./step-log.ts";
import type { TrainedModels } from "./train-models.ts";

export interface TrackRunResult {
  runId: string | null;
  warning: string | null;
}

export async function trackTrainingRun(
  env: Record<string, string | undefined>,
  trained: TrainedModels,
  bundle: ModelBundle,
  steps: StepLog,
  modelName?: string,
): Promise<TrackRunResult> {
  try {
    const tracker = MlflowTracker.fromEnv(env);
    if (!tracker) {
      const warning = `MLFLOW_TRACKING_URI is not an http(s) URL: ${JSON.stringify(env.MLFLOW_TRACKING_URI)}`;
      steps.warn(`MLflow tracking skipped: ${warning}`);
      return { runId: null, warning };
    }
    const data = trained.metrics.data;
    const result = await tracker.logTrainingRun({
      experiment: "purchase-prediction",
      runName: `${modelName ?? "train"} ${data.calibration_end}`,
      params: {
        bgnbd: trained.bgnbd.params,
        pareto_nbd: trained.paretoNbd.params,
        gamma_gamma: trained.gammaGamma?.params ?? null,
        calibration_end: data.calibration_end,
        holdout_end: data.holdout_end,
        time_unit: data.time_unit,
        customers: data.customers,
        recommended: trained.recommended,
        folds: trained.metrics.models.gbdt_count?.folds ?? null,
      },
      metrics: registryMetrics(trained),
      artifacts: [...bundle].map(([name, bytes]) => ({ path: `model/${name}`, bytes })),
      ...(modelName ? { modelName } : {}),
    });
    if (isTrackingWarning(result)) {
      steps.warn(`MLflow tracking failed (training is unaffected): ${result.warning}`);
      return { runId: result.runId ?? null, warning: result.warning };
    }
    steps.info(
      `MLflow: run ${result.runId} logged${result.modelVersion ? `, model version ${result.modelVersion}` : ""}`,
    );
    return { runId: result.runId, warning: null };
  } catch (error) {
    const warning = (error as Error).message;
    steps.warn(`MLflow tracking failed (training is unaffected): ${warning}`);
    return { runId: null, warning };
  }
}
