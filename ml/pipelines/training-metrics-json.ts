// Step 5 of `trainModels`: metrics.json's content from the steps' results: the data window, per
// model its fit and holdout scores, the blend and calibration, the comparison, notes and timings.

import { finiteOrNull, type TrainingMetrics } from "../bundle/training-metrics.ts";
import type { CountMetrics, PurchaseMetrics } from "../evaluation/metrics.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import type { BtydFits } from "./fit-btyd-models.ts";
import type { GbdtMetrics } from "./gbdt-models.ts";
import { type StackingResult, stackingMetrics } from "./stacking.ts";
import type { DataOrigin } from "./train-models.ts";

export interface MetricsParts {
  summaries: CustomerSummaries;
  /** Transactions in the log; null when trained from summaries. */
  transactions: number | null;
  source: string;
  format: DataOrigin;
  fits: BtydFits;
  holdout: {
    bgnbd: (CountMetrics & PurchaseMetrics) | null;
    pareto_nbd: (CountMetrics & PurchaseMetrics) | null;
  };
  gbdt: GbdtMetrics;
  stacking: StackingResult | null;
  comparison: TrainingMetrics["comparison"];
  notes: string[];
  seconds: Record<string, number>;
}

function dataSection(parts: MetricsParts): TrainingMetrics["data"] {
  const { summaries } = parts;
  const opts = summaries.options;
  return {
    customers: summaries.n,
    transactions: parts.transactions,
    calibration_end: opts.calibrationEnd,
    holdout_end: opts.holdoutEnd ?? null,
    time_unit: opts.timeUnit,
    holdout_length: summaries.holdoutLength,
    excluded_after_calibration: summaries.excludedAfterCalibration,
    source: parts.source,
    format: parts.format,
  };
}

function btydSection(parts: MetricsParts) {
  const { bgnbd, paretoNbd, gammaGamma, diagnostics } = parts.fits;
  return {
    bgnbd: {
      params: bgnbd.params,
      log_likelihood: bgnbd.logLikelihood,
      fit_seconds: bgnbd.seconds,
      holdout: parts.holdout.bgnbd,
      warnings: diagnostics.bgnbd,
    },
    pareto_nbd: {
      params: paretoNbd.params,
      log_likelihood: paretoNbd.logLikelihood,
      fit_seconds: paretoNbd.seconds,
      holdout: parts.holdout.pareto_nbd,
      warnings: diagnostics.pareto_nbd,
    },
    gamma_gamma: gammaGamma
      ? {
          params: gammaGamma.params,
          log_likelihood: gammaGamma.logLikelihood,
          fit_seconds: gammaGamma.seconds,
          customers: gammaGamma.customers,
          zero_spend_customers: diagnostics.zeroSpendRepeatBuyers,
          warnings: diagnostics.gamma_gamma,
        }
      : null,
  };
}

/** metrics.json's content; non-finite numbers become null (JSON has none). */
export function trainingMetrics(parts: MetricsParts): TrainingMetrics {
  const stacking = parts.stacking ? stackingMetrics(parts.stacking) : null;
  return finiteOrNull({
    data: dataSection(parts),
    models: { ...btydSection(parts), ...parts.gbdt, ...(stacking ? stacking.models : {}) },
    ...(stacking ? { calibration: stacking.calibration } : {}),
    ...(stacking ? { by_segment: stacking.by_segment } : {}),
    comparison: parts.comparison,
    notes: parts.notes,
    seconds: { ...parts.seconds },
  });
}
