// The answer of GET /model-info as a zod schema (for /openapi.json and the handler's type).
import * as z from "zod";

/** Metrics as served: JSON has no NaN or Infinity, so such a value is null. */
const metrics = z.record(z.string(), z.number().nullable());
const opaque = (what: string) => z.unknown().describe(what);

export const modelInfoSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  stage: z.string(),
  trained_at: z.string(),
  data_window: z
    .object({
      calibration_start: z.string().optional(),
      calibration_end: z.string(),
      holdout_end: z.string().nullable(),
    })
    .describe("The training data's window (calibration end, holdout end, ...)"),
  time_unit: z.enum(["day", "week"]),
  ids_lower_cased: z
    .boolean()
    .describe("Customer ids are read lower-cased (trained with --ignore-id-case)"),
  recommended: z.string().describe("The model /forecast recommends"),
  evaluation: opaque("The split that chose `recommended` (null: none recorded)"),
  production: opaque("The refit the service answers from (null: the calibration fits)"),
  holdout_metrics: metrics,
  metrics,
  artifact_sha256: z.string(),
  source: z.string().describe('Where the model was loaded from, e.g. "registry (pglite)"'),
  polling: z.string(),
  loaded_at: z.string(),
  customers: z.number().int().describe("Customers the model knows by id"),
  feature_layout: opaque("The GBDT's feature layout"),
  params: z.object({
    bgnbd: opaque("BG/NBD parameters"),
    pareto_nbd: opaque("Pareto/NBD parameters"),
    gamma_gamma: opaque("Gamma-Gamma parameters (null without a spend model)"),
  }),
  gbdt: z
    .object({
      trained_horizon: z.number(),
      models: z.array(z.enum(["count", "purchase", "spend"])),
      other_horizons: z.string(),
    })
    .nullable(),
  blend: z
    .object({ inputs: opaque("The blend's inputs"), segments: z.string(), weights: z.unknown() })
    .nullable(),
  intervals: z.object({
    parameter_uncertainty: z.string(),
    purchases: z.string(),
    spend: z.string(),
    clv: z.string(),
    dispersion: opaque("Dispersion per model"),
    omitted: opaque("Parameters left out of the covariances, per model"),
    draws: z.string(),
  }),
  inference: z.object({
    engine: z.string(),
    engine_version: z.string(),
    backend: z.string(),
    onnxruntime_web_version: z.string().nullable(),
    btyd: z.string(),
  }),
});
export type ModelInfoJson = z.infer<typeof modelInfoSchema>;
