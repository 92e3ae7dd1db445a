// Assembles the model bundle of a training run: the manifest (model.json), the three GBDT models
// exported to ONNX, metrics.json and report.html, as file name → bytes.

import {
  BUNDLE_FILES,
  BUNDLE_FORMAT_VERSION,
  type ModelBundle,
  type ModelManifest,
  ModelManifestSchema,
} from "../bundle/model-bundle.ts";
import { FEATURE_LAYOUT } from "../features/feature-vector.ts";
import type { GbdtModel } from "../gbdt/gbdt-model.ts";
import { exportGbdtToOnnx } from "../onnx/export-tree-ensemble.ts";
import type { BlendInput } from "./blend.ts";
import type { TrainedModels } from "./train-models.ts";

/** model.json's `blend`: the stacked members by name and their weights (the schema checks both). */
function blendManifest(inputs: BlendInput[], weights: number[][]): ModelManifest["blend"] {
  return { inputs, weights } as ModelManifest["blend"];
}

export interface BundleOptions {
  name?: string;
  trainedAt: Date;
  reportHtml: string;
}

const encoder = new TextEncoder();

function json(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** The manifest of a trained model set (validated against ModelManifestSchema). */
export function buildManifest(
  trained: TrainedModels,
  options: Omit<BundleOptions, "reportHtml">,
): ModelManifest {
  const data = trained.metrics.data;
  const production = trained.metrics.production ?? null;
  // A production bundle's features are cut at as_of: that is its calibration end, with no holdout.
  const cutoff = production ? production.as_of : data.calibration_end;
  const holdoutEnd = production ? null : data.holdout_end;
  const manifest: ModelManifest = {
    format_version: BUNDLE_FORMAT_VERSION,
    ...(options.name ? { name: options.name } : {}),
    time_unit: data.time_unit,
    calibration_end: cutoff,
    holdout_end: holdoutEnd,
    horizon: trained.horizon,
    bgnbd: { ...trained.bgnbd.params },
    pareto_nbd: { ...trained.paretoNbd.params },
    gamma_gamma: trained.gammaGamma ? { ...trained.gammaGamma.params } : null,
    feature_layout: { version: FEATURE_LAYOUT.version, names: [...FEATURE_LAYOUT.names] },
    recommended: trained.recommended,
    blend: trained.stacking
      ? blendManifest(trained.stacking.blendInputs, trained.stacking.blend.weights)
      : null,
    uncertainty: {
      covariances: trained.covariances,
      dispersion: trained.stacking ? { ...trained.stacking.dispersion } : {},
    },
    gbdt: {
      count: trained.gbdt !== null,
      purchase: trained.gbdt !== null,
      spend: trained.gbdt !== null,
      spend_loss: trained.gbdt ? (trained.gbdt.spend.loss as "squared" | "gamma") : null,
    },
    trained_at: options.trainedAt.toISOString(),
    data: {
      customers: production ? production.customers : data.customers,
      transactions: production ? production.transactions : data.transactions,
      calibration_end: cutoff,
      holdout_end: holdoutEnd,
      time_unit: data.time_unit,
      source: data.source,
      ...(data.ids_lower_cased ? { ids_lower_cased: true as const } : {}),
    },
    ...(trained.metrics.evaluation ? { evaluation: trained.metrics.evaluation } : {}),
    ...(production ? { production } : {}),
  };
  return ModelManifestSchema.parse(manifest);
}

function onnx(model: GbdtModel, target: string, trained: TrainedModels): Uint8Array {
  return exportGbdtToOnnx(model, {
    featureNames: [...FEATURE_LAYOUT.names],
    layoutVersion: FEATURE_LAYOUT.version,
    metadata: {
      target,
      time_unit: trained.metrics.data.time_unit,
      horizon: String(trained.horizon),
      calibration_end: trained.metrics.production?.as_of ?? trained.metrics.data.calibration_end,
    },
  });
}

export function buildBundle(trained: TrainedModels, options: BundleOptions): ModelBundle {
  const bundle: ModelBundle = new Map();
  bundle.set(BUNDLE_FILES.manifest, json(buildManifest(trained, options)));
  if (trained.gbdt) {
    bundle.set(BUNDLE_FILES.gbdtCount, onnx(trained.gbdt.count, "holdout purchase days", trained));
    bundle.set(BUNDLE_FILES.gbdtPurchase, onnx(trained.gbdt.purchase, "P(any purchase)", trained));
    bundle.set(BUNDLE_FILES.gbdtSpend, onnx(trained.gbdt.spend, "holdout spend", trained));
  }
  bundle.set(BUNDLE_FILES.metrics, json(trained.metrics));
  bundle.set(BUNDLE_FILES.report, encoder.encode(options.reportHtml));
  return bundle;
}
