// The shape of metrics.json written by `ml train`: data window, and per model its parameters,
// fit statistics and holdout scores (GBDT scores out of fold, with per-fold values and spread).

import * as z from "zod";
import { DataQualitySchema } from "../data/input/data-quality.ts";
import { LOG_FORMATS } from "../data/input/log-input.ts";

const num = z.number();
/** JSON has no NaN or Infinity: such values (e.g. AUC with one class) are written as null. */
const metric = z.number().nullable();

const CountHoldoutSchema = z.object({
  mae: metric,
  rmse: metric,
  poisson_deviance: metric,
  predicted_total: metric,
  actual_total: metric,
});

const PurchaseHoldoutSchema = z.object({ auc: metric, log_loss: metric });

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

const FitSchema = <P extends z.ZodRawShape>(params: P) =>
  z.object({ params: z.object(params), log_likelihood: num, converged: z.boolean() });

/** `evaluation`: the calibration/holdout split and the holdout scores that chose `recommended`. */
export const EvaluationSectionSchema = z.object({
  split: z.object({
    calibration_end: z.string(),
    holdout_end: z.string().nullable(),
    holdout_length: num,
    time_unit: z.enum(["day", "week"]),
    customers: z.number().int(),
  }),
  recommended: z.enum(["gbdt", "bgnbd", "pareto_nbd", "blend"]),
  poisson_deviance: z.record(z.string(), metric),
  recommended_poisson_deviance: metric,
});

/** `production`: the served models, refitted as of `as_of` on every customer of the log. */
export const ProductionMetricsSchema = z.object({
  as_of: z.string(),
  customers: z.number().int(),
  transactions: z.number().int(),
  time_unit: z.enum(["day", "week"]),
  /** The GBDT horizon (time units); 0 without GBDT. */
  horizon: num,
  fits: z.object({
    bgnbd: FitSchema({ r: num, alpha: num, a: num, b: num }),
    pareto_nbd: FitSchema({ r: num, alpha: num, s: num, beta: num }),
    gamma_gamma: FitSchema({ p: num, q: num, gamma: num }).nullable(),
    gbdt: z
      .object({
        features_at: z.string(),
        labels_from: z.string(),
        labels_to: z.string(),
        customers: z.number().int(),
        horizon: num,
        trees: z.object({
          count: z.number().int(),
          purchase: z.number().int(),
          spend: z.number().int(),
        }),
      })
      .nullable(),
  }),
  notes: z.array(z.string()),
});

export type ProductionMetrics = z.infer<typeof ProductionMetricsSchema>;
export type EvaluationSection = z.infer<typeof EvaluationSectionSchema>;

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
    format: z.enum([...LOG_FORMATS, "summary", "simulated", "query"]),
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
    /** The out-of-fold stack of BG/NBD, Pareto/NBD, GBDT and the rate if alive (ml/pipelines/blend.ts). */
    blend: z
      .object({
        inputs: z.array(z.string()),
        segments: z.array(z.string()),
        weights: z.array(z.array(num)),
        pooling: z.union([num, z.literal("global")]),
        pooling_deviance: z.record(z.string(), metric),
        // AUC and log loss of its out-of-fold P(purchase): absent from bundles trained before.
        holdout: CountHoldoutSchema.extend(PurchaseHoldoutSchema.partial().shape),
        dispersion: z.object({ gbdt: num, blend: num }),
      })
      .optional(),
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
  /** Holdout calibration of each model's intervals (ml/pipelines/stacking.ts). */
  calibration: z
    .object({
      method: z.string(),
      models: z.record(
        z.string(),
        z.object({
          customers: z.number().int(),
          levels: z.array(
            z.object({
              level: num,
              coverage: metric,
              interval_coverage: metric,
              mean_width: metric,
              spend_coverage: metric.optional(),
            }),
          ),
          pit_histogram: z.array(metric),
        }),
      ),
      /** Models without intervals, with the reason (e.g. a fit at its domain's edge). */
      omitted: z.record(z.string(), z.string()).optional(),
      /** Parameter draws redrawn or dropped, customers left without an interval. */
      warnings: z.array(z.string()).optional(),
    })
    .optional(),
  /** Holdout errors per calibration-frequency segment (0..6, 7+), per model. */
  by_segment: z
    .record(
      z.string(),
      z.array(
        z.object({
          segment: z.string(),
          customers: z.number().int(),
          actual_mean: metric,
          predicted_mean: metric,
          mae: metric,
          rmse: metric,
          poisson_deviance: metric,
        }),
      ),
    )
    .optional(),
  comparison: z
    .object({
      recommended: z.enum(["gbdt", "bgnbd", "pareto_nbd", "blend"]),
      notes: z.array(z.string()),
    })
    .passthrough(),
  notes: z.array(z.string()),
  seconds: z.record(z.string(), num),
  /** Written by `ml train` (absent in bundles of older versions). */
  evaluation: EvaluationSectionSchema.optional(),
  /** Null with --evaluate-only or without a transaction log: the bundle is the evaluation fit. */
  production: ProductionMetricsSchema.nullable().optional(),
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
