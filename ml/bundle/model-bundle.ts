// The artifact set of one trained model version, as the registry stores it and the forecast
// service loads it: a manifest (model.json), three ONNX tree ensembles, metrics and the report.
// Runtime-neutral (the forecast service imports the schema).

import * as z from "zod";
import { EvaluationSectionSchema, ProductionMetricsSchema } from "./training-metrics.ts";

/** File names inside a bundle. */
export const BUNDLE_FILES = {
  manifest: "model.json",
  gbdtCount: "gbdt_count.onnx",
  gbdtPurchase: "gbdt_purchase.onnx",
  gbdtSpend: "gbdt_spend.onnx",
  metrics: "metrics.json",
  report: "report.html",
} as const;

export type BundleFileKey = keyof typeof BUNDLE_FILES;

export const BUNDLE_FORMAT_VERSION = 1;

const positive = z.number().positive();

export const BgNbdParamsSchema = z.object({
  r: positive,
  alpha: positive,
  a: positive,
  b: positive,
});
export const ParetoNbdParamsSchema = z.object({
  r: positive,
  alpha: positive,
  s: positive,
  beta: positive,
});
export const GammaGammaParamsSchema = z.object({ p: positive, q: positive, gamma: positive });

export const ModelManifestSchema = z.object({
  format_version: z.literal(BUNDLE_FORMAT_VERSION),
  name: z.string().min(1).optional(),
  time_unit: z.enum(["day", "week"]),
  /** Last day of the calibration period, YYYY-MM-DD: the features' cutoff. */
  calibration_end: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  holdout_end: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable(),
  /** The GBDT models' trained horizon in time units (the holdout length); 0 without GBDT. */
  horizon: z.number().nonnegative(),
  bgnbd: BgNbdParamsSchema,
  pareto_nbd: ParetoNbdParamsSchema,
  gamma_gamma: GammaGammaParamsSchema.nullable(),
  feature_layout: z.object({ version: z.string(), names: z.array(z.string()).min(1) }),
  /** The model with the best out-of-fold Poisson deviance on the holdout. */
  recommended: z.enum(["gbdt", "bgnbd", "pareto_nbd", "blend"]),
  /**
   * The out-of-fold stack (ml/pipelines/blend.ts): per calibration-frequency segment 0..6, 7+,
   * weights of the BG/NBD, Pareto/NBD, GBDT and rate-if-alive (h·(r + x)/(α + T),
   * ml/models/rate-if-alive.ts) forecasts. Bundles trained before the fourth member joined stack the
   * first three; older ones have no blend.
   */
  blend: z
    .union([
      z.object({
        inputs: z.tuple([
          z.literal("bgnbd"),
          z.literal("pareto_nbd"),
          z.literal("gbdt"),
          z.literal("rate_if_alive"),
        ]),
        weights: z.array(z.array(z.number().nonnegative()).length(4)).length(8),
      }),
      z.object({
        inputs: z.tuple([z.literal("bgnbd"), z.literal("pareto_nbd"), z.literal("gbdt")]),
        weights: z.array(z.array(z.number().nonnegative()).length(3)).length(8),
      }),
    ])
    .nullable()
    .optional(),
  /**
   * What the intervals need (ml/forecasting/intervals.ts): log-parameter covariances from the
   * observed information and the negative-binomial dispersion of the mean-only models. Absent in
   * older bundles: intervals then carry process noise only, and GBDT counts are Poisson.
   */
  uncertainty: z
    .object({
      covariances: z.object({
        bgnbd: z.array(z.number()).length(16).nullable(),
        pareto_nbd: z.array(z.number()).length(16).nullable(),
        gamma_gamma: z.array(z.number()).length(9).nullable(),
        /** BTYD models without intervals, with the reason (a fit at its domain's edge). */
        omitted: z
          .object({ bgnbd: z.string().optional(), pareto_nbd: z.string().optional() })
          .optional(),
      }),
      dispersion: z.object({
        gbdt: z.number().nonnegative().optional(),
        blend: z.number().nonnegative().optional(),
      }),
    })
    .optional(),
  /** Which ONNX files the bundle holds (none when trained from summaries only). */
  gbdt: z.object({
    count: z.boolean(),
    purchase: z.boolean(),
    spend: z.boolean(),
    /** The spend model's loss ("gamma" or "squared"); it predicts holdout spend. */
    spend_loss: z.enum(["gamma", "squared"]).nullable(),
  }),
  trained_at: z.string(),
  data: z.object({
    customers: z.number().int().nonnegative(),
    transactions: z.number().int().nonnegative().nullable(),
    calibration_end: z.string(),
    holdout_end: z.string().nullable(),
    time_unit: z.enum(["day", "week"]),
    source: z.string().optional(),
    /** Ids were read lower-cased (--ignore-id-case): a look-up by id lower-cases the id asked. */
    ids_lower_cased: z.literal(true).optional(),
  }),
  /** The calibration/holdout split that chose `recommended`, and its scores. */
  evaluation: EvaluationSectionSchema.optional(),
  /** Present when the served models were refitted as of `as_of` (then calibration_end = as_of). */
  production: ProductionMetricsSchema.optional(),
});

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type BgNbdParamsJson = z.infer<typeof BgNbdParamsSchema>;
export type ParetoNbdParamsJson = z.infer<typeof ParetoNbdParamsSchema>;
export type GammaGammaParamsJson = z.infer<typeof GammaGammaParamsSchema>;

/** A bundle in memory: file name → bytes. */
export type ModelBundle = Map<string, Uint8Array>;

/** Parses and validates model.json bytes or text; throws a ZodError naming the bad field. */
export function parseManifest(source: Uint8Array | string): ModelManifest {
  const text = typeof source === "string" ? source : new TextDecoder().decode(source);
  return ModelManifestSchema.parse(JSON.parse(text));
}
