// Registers a trained bundle as a new version of a named model: artifacts, parameters, key metrics
// (flattened to numbers), the data window and every customer's summary and feature vector.

import type { ModelRegistry, RegisteredVersion } from "@pp/shared/registry/model-registry.ts";
import type { ModelBundle } from "../bundle/model-bundle.ts";
import { dayToIsoDate } from "../data/transaction-log.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { FEATURE_LAYOUT } from "../features/feature-vector.ts";
import { customerFeatureRows, type TrainedModels } from "./train-models.ts";

/**
 * Numeric leaves of the metrics as flat keys (`bgnbd.holdout.mae`), without per-fold lists; the
 * recommended model's headline scores also appear unprefixed (`mae`, `rmse`, `auc`, ...).
 */
export function registryMetrics(trained: TrainedModels): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (prefix: string, value: unknown) => {
    if (typeof value === "number" && Number.isFinite(value)) out[prefix] = value;
    else if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k === "folds" || k === "spread" || k === "params") continue;
        walk(prefix ? `${prefix}.${k}` : k, v);
      }
    }
  };
  walk("", trained.metrics.models);
  const m = trained.metrics.models;
  // The recommended model's own scores (the blend's fell through to Pareto/NBD's).
  const headlines: Record<TrainedModels["recommended"], object | undefined> = {
    gbdt: { ...m.gbdt_count?.holdout, ...m.gbdt_purchase?.holdout },
    blend: m.blend?.holdout,
    bgnbd: m.bgnbd.holdout ?? undefined,
    pareto_nbd: m.pareto_nbd.holdout ?? undefined,
  };
  const headline = headlines[trained.recommended] ?? {};
  for (const key of ["mae", "rmse", "auc", "log_loss", "poisson_deviance"] as const) {
    const v = (headline as Record<string, unknown>)[key];
    if (typeof v === "number" && Number.isFinite(v)) out[key] = v;
  }
  const ll = m[trained.recommended === "pareto_nbd" ? "pareto_nbd" : "bgnbd"].log_likelihood;
  if (typeof ll === "number") out.log_likelihood = ll;
  return out;
}

export interface RegisterBundleInput {
  registry: ModelRegistry;
  name: string;
  bundle: ModelBundle;
  trained: TrainedModels;
  summaries: CustomerSummaries;
  trainedAt: Date;
  promote?: boolean;
}

export async function registerBundle(input: RegisterBundleInput): Promise<RegisteredVersion> {
  const { trained } = input;
  const data = trained.metrics.data;
  // A production bundle's cutoff is as_of (no holdout); the evaluation split stays in metrics.json.
  const asOf = trained.metrics.production?.as_of;
  return input.registry.registerVersion(input.name, {
    artifacts: [...input.bundle].map(([name, bytes]) => ({ name, bytes })),
    params: {
      bgnbd: trained.bgnbd.params,
      pareto_nbd: trained.paretoNbd.params,
      gamma_gamma: trained.gammaGamma?.params ?? null,
      recommended: trained.recommended,
      horizon: trained.horizon,
      feature_layout_version: FEATURE_LAYOUT.version,
    },
    metrics: registryMetrics(trained),
    dataWindow: {
      ...(input.summaries.n > 0
        ? {
            calibrationStart: dayToIsoDate(
              input.summaries.firstDay.reduce((a, b) => Math.min(a, b)),
            ),
          }
        : {}),
      calibrationEnd: asOf ?? data.calibration_end,
      ...(data.holdout_end && !asOf ? { holdoutEnd: data.holdout_end } : {}),
      ...(data.ids_lower_cased ? { idsLowerCased: true } : {}),
    },
    timeUnit: data.time_unit,
    trainedAt: input.trainedAt,
    customerFeatures: customerFeatureRows(input.summaries, trained.features),
    promote: input.promote ?? false,
  });
}
