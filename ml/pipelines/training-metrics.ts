// The shape of metrics.json written by `ml train`: data window, and per model its parameters,
// fit statistics and holdout scores (GBDT scores out of fold, with per-fold values and spread).

import { z } from "zod";
import { DataQualitySchema } from "../data/input/data-quality.ts";

const num = z.number();
/** JSON has no NaN or Infinity: such values (e.g. AUC with one class) are written as null. */
const metric = z.number().nullable();

export const CountHoldoutSchema = z.object({
  mae: metric,
  rmse: metric,
  poisson_deviance: metric,
  predicted_total: metric,
  actual_total: metric,
});

export const PurchaseHoldoutSchema = z.object({ auc: metric, log_loss: metric });

const SpreadSchema = z.record(
  z.string(),
  z.object({ mean: metric, std: metric, min: metric, max: metric }),
);

/** Readable fit diagnostics (not converged, at a bound, degenerate); empty when the fit is sound. */
const Warnings = z.array(z.string()).default([]);

const FoldsSchema = z.object({
  folds: z.array(z.record(z.string(), metric)),
  spread: SpreadSchema,
});

export const TrainingMetricsSchema = z.object({
  data: z.object({
    customers: z.number().int(),
    transactions: z.number().int().nullable(),
    calibration_end: z.string(),
    holdout_end: z.string().nullable(),
    time_unit: z.enum(["day", "week"]),
    holdout_length: num,
    excluded_after_calibration: z.number().int(),
    source: z.string(),
    format: z.enum(["csv", "parquet", "json", "postgres", "cdnow", "summary", "simulated"]),
    // What reading did to the rows (absent for simulated data): see ml/data/input/data-quality.ts.
    ...DataQualitySchema.partial().shape,
  }),
  models: z.object({
    bgnbd: z.object({
      params: z.object({ r: num, alpha: num, a: num, b: num }),
      log_likelihood: num,
      fit_seconds: num,
      holdout: CountHoldoutSchema.extend(PurchaseHoldoutSchema.shape).nullable(),
      warnings: Warnings,
    }),
    pareto_nbd: z.object({
      params: z.object({ r: num, alpha: num, s: num, beta: num }),
      log_likelihood: num,
      fit_seconds: num,
      holdout: CountHoldoutSchema.extend(PurchaseHoldoutSchema.shape).nullable(),
      warnings: Warnings,
    }),
    gamma_gamma: z
      .object({
        params: z.object({ p: num, q: num, gamma: num }),
        log_likelihood: num,
        fit_seconds: num,
        customers: z.number().int(),
        /** Repeat buyers with mean repeat spend 0: not fitted, given the population mean. */
        zero_spend_customers: z.number().int().default(0),
        warnings: Warnings,
      })
      .nullable(),
    gbdt_count: z
      .object({
        holdout: CountHoldoutSchema.extend(FoldsSchema.shape),
        folds: z.number().int(),
        trees: z.number().int(),
        train_seconds: num,
      })
      .nullable(),
    gbdt_purchase: z
      .object({
        holdout: PurchaseHoldoutSchema.extend(FoldsSchema.shape),
        folds: z.number().int(),
        trees: z.number().int(),
        train_seconds: num,
      })
      .nullable(),
    gbdt_spend: z
      .object({
        loss: z.enum(["gamma", "squared"]),
        holdout: z.object({
          mae: metric,
          rmse: metric,
          predicted_total: metric,
          actual_total: metric,
          folds: z.array(z.record(z.string(), metric)),
          spread: SpreadSchema,
        }),
        folds: z.number().int(),
        trees: z.number().int(),
        train_seconds: num,
      })
      .nullable(),
  }),
  comparison: z
    .object({
      recommended: z.enum(["gbdt", "bgnbd", "pareto_nbd"]),
      notes: z.array(z.string()),
    })
    .passthrough(),
  notes: z.array(z.string()),
  seconds: z.record(z.string(), num),
});

export type TrainingMetrics = z.infer<typeof TrainingMetricsSchema>;

/** Replaces non-finite numbers by null, recursively, so the object survives JSON. */
export function finiteOrNull<T>(value: T): T {
  if (typeof value === "number") return (Number.isFinite(value) ? value : null) as T;
  if (Array.isArray(value)) return value.map(finiteOrNull) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = finiteOrNull(v);
    return out as T;
  }
  return value;
}
