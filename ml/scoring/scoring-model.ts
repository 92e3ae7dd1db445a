// The model `ml score` scores with, built from a bundle's files: the manifest's BTYD parameters
// and the GBDT ONNX files scored as the forecast service's default engine scores them (ORT's
// answers to the bit: ort-scoring-session.ts), so the figures are the ones /forecast gives.

import { BUNDLE_FILES, type ModelManifest, parseManifest } from "../bundle/model-bundle.ts";
import { FEATURE_COUNT, FEATURE_LAYOUT } from "../features/feature-vector.ts";
import type { ForecastModel, GbdtScorer } from "../forecasting/forecast-inputs.ts";
import { createOrtScoringSession } from "../onnx/ort-scoring-session.ts";

export interface ScoringModel extends ForecastModel {
  manifest: ModelManifest;
  release(): Promise<void>;
}

async function scorer(files: Map<string, Uint8Array>, name: string): Promise<GbdtScorer> {
  const bytes = files.get(name);
  if (!bytes) throw new RangeError(`the model lists ${name}, which is missing`);
  const session = await createOrtScoringSession(bytes, FEATURE_COUNT);
  return {
    predict: async (X, n) => (await session.run(X, n)).prediction,
    release: () => session.release(),
  };
}

/** The bundle's manifest, refused when its feature layout is not the one computed here. */
export function checkedManifest(files: Map<string, Uint8Array>): ModelManifest {
  const manifestBytes = files.get(BUNDLE_FILES.manifest);
  if (!manifestBytes) throw new RangeError(`the model has no ${BUNDLE_FILES.manifest}`);
  const manifest = parseManifest(manifestBytes);
  const names = manifest.feature_layout.names;
  if (
    manifest.feature_layout.version !== FEATURE_LAYOUT.version ||
    names.length !== FEATURE_COUNT ||
    names.some((n, i) => n !== FEATURE_LAYOUT.names[i])
  ) {
    throw new RangeError(
      `feature layout v${manifest.feature_layout.version} of the model differs from v${FEATURE_LAYOUT.version} computed here`,
    );
  }
  return manifest;
}

export async function scoringModel(files: Map<string, Uint8Array>): Promise<ScoringModel> {
  const manifest = checkedManifest(files);
  const scorers: GbdtScorer[] = [];
  let gbdt: ForecastModel["gbdt"] = null;
  if (manifest.gbdt.count && manifest.gbdt.purchase && manifest.horizon > 0) {
    const count = await scorer(files, BUNDLE_FILES.gbdtCount);
    const purchase = await scorer(files, BUNDLE_FILES.gbdtPurchase);
    const spend = manifest.gbdt.spend ? await scorer(files, BUNDLE_FILES.gbdtSpend) : null;
    scorers.push(count, purchase, ...(spend ? [spend] : []));
    gbdt = { count, purchase, spend };
  }
  return {
    manifest,
    timeUnit: manifest.time_unit,
    trainedHorizon: manifest.horizon,
    bgnbd: manifest.bgnbd,
    paretoNbd: manifest.pareto_nbd,
    gammaGamma: manifest.gamma_gamma,
    gbdt,
    storedScores: null,
    customers: { n: 0 },
    async release() {
      await Promise.allSettled(scorers.map((s) => s.release()));
    },
  };
}
