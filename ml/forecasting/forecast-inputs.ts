// What the batch forecast (forecast-batch.ts) needs to know about a model and a batch of customers:
// the forecast service's loaded model and request batch satisfy these, and so does `ml score`.

import type { ModelManifest } from "../bundle/model-bundle.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { GammaGammaParams } from "../models/gamma-gamma.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";

export interface GbdtScorer {
  /** Predictions (after the model's link function) for n rows of row-major float32 X. */
  predict(X: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface StoredScores {
  count: Float32Array;
  purchase: Float32Array;
  spend: Float32Array | null;
  /**
   * BG/NBD E[X(H)] of each stored customer at the trained horizon H: the denominator of the ratio
   * that moves these scores to another horizon, fixed per model (gbdt-columns.ts).
   */
  bgnbdAtTrainedHorizon: Float64Array;
}

/** The parts of a model the formulas read. */
export interface ForecastModel {
  timeUnit: "day" | "week";
  /** The horizon (model time units) the GBDT models were trained for. */
  trainedHorizon: number;
  bgnbd: BgNbdParams;
  paretoNbd: ParetoNbdParams;
  gammaGamma: GammaGammaParams | null;
  gbdt: { count: GbdtScorer; purchase: GbdtScorer; spend: GbdtScorer | null } | null;
  /** GBDT predictions of stored customers scored beforehand (indexed by storedRow), or null. */
  storedScores: StoredScores | null;
  /** Stored customers; `n` sizes the per-question cache of their BTYD values. */
  customers: { n: number };
  /** The blend's weights and dispersion, when the bundle carries them. */
  manifest: Pick<ModelManifest, "blend" | "uncertainty">;
}

export interface ItemError {
  code: "unknown_customer" | "no_transactions_before_as_of" | "invalid_customer";
  message: string;
}

/** A batch of customers in columns: (x, t_x, T, monetary) and optional GBDT feature rows. */
export interface ForecastBatchInput {
  n: number;
  ids: string[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** NaN: unknown (spend then uses Gamma-Gamma's population mean). */
  monetary: Float64Array;
  /** Row of the customer in X, or -1. */
  featureRow: Int32Array;
  /** Row among the model's stored customers, or -1 (enables the cache and storedScores). */
  storedRow: Int32Array;
  /** Row-major m × FEATURE_COUNT feature vectors. */
  X: Float32Array;
  m: number;
  /** Item errors; the forecast adds invalid_customer for summaries the formulas cannot handle. */
  errors: (ItemError | null)[];
}
