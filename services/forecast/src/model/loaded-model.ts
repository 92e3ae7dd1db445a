// The in-memory model the service answers from: identity (name, version, checksum), the BTYD
// parameters, the GBDT scorers and the customer index. Built from verified files by `assembleModel`,
// which refuses anything that does not fit the feature layout this service computes.

import { BUNDLE_FILES, type ModelManifest, parseManifest } from "@pp/ml/bundle/model-bundle.ts";
import { isoDateToDay } from "@pp/ml/data/transaction-log.ts";
import { FEATURE_COUNT, FEATURE_LAYOUT } from "@pp/ml/features/feature-vector.ts";
import type { StoredScores } from "@pp/ml/forecasting/forecast-inputs.ts";
import { bgnbdAtTrainedHorizon } from "@pp/ml/forecasting/gbdt-columns.ts";
import type { BgNbdParams } from "@pp/ml/models/bgnbd.ts";
import type { GammaGammaParams } from "@pp/ml/models/gamma-gamma.ts";
import type { ParetoNbdParams } from "@pp/ml/models/pareto-nbd.ts";
import type { CustomerIndex } from "./customer-index.ts";
import type { GbdtEngine, GbdtScorer } from "./gbdt-engine.ts";
import { ModelLoadError } from "./model-load-error.ts";

interface DataWindowInfo {
  calibration_start?: string;
  calibration_end: string;
  holdout_end: string | null;
}

/** Who the model is: what /model-info reports and the registry recorded. */
export interface ModelIdentity {
  name: string;
  version: number;
  stage: string;
  trainedAt: string;
  /** sha256 of the version's artifact manifest (registry) or of bundle.json (exported bundle). */
  artifactSha256: string;
  dataWindow: DataWindowInfo;
  metrics: Record<string, number>;
  /** Where it was loaded from, e.g. "registry (pglite)", "bundle:/srv/model", "bundled". */
  source: string;
}

interface GbdtScorers {
  count: GbdtScorer;
  purchase: GbdtScorer;
  spend: GbdtScorer | null;
}

export interface LoadedModel {
  identity: ModelIdentity;
  manifest: ModelManifest;
  timeUnit: "day" | "week";
  /** The horizon (model time units) the GBDT models were trained for. */
  trainedHorizon: number;
  /** The features' cutoff, days since 1970-01-01. */
  calibrationEndDay: number;
  bgnbd: BgNbdParams;
  paretoNbd: ParetoNbdParams;
  gammaGamma: GammaGammaParams | null;
  gbdt: GbdtScorers | null;
  /**
   * GBDT predictions (trained horizon) for every stored customer, scored once at load: their
   * features are frozen at the calibration end, so id lookups need no inference per request.
   */
  storedScores: StoredScores | null;
  engine: { name: string; version: string; backend: string };
  customers: CustomerIndex;
  loadedAt: string;
  /** Frees the scorers (WASM sessions); call once no request uses the model any more. */
  release(): Promise<void>;
}

export interface ModelFilesInput {
  identity: ModelIdentity;
  /** Verified bytes by bundle file name (model.json and the ONNX files at least). */
  files: Map<string, Uint8Array>;
  customers: CustomerIndex;
}

function sameLayout(manifest: ModelManifest): boolean {
  const names = manifest.feature_layout.names;
  return (
    manifest.feature_layout.version === FEATURE_LAYOUT.version &&
    names.length === FEATURE_COUNT &&
    names.every((name, i) => name === FEATURE_LAYOUT.names[i])
  );
}

async function createScorer(
  engine: GbdtEngine,
  files: Map<string, Uint8Array>,
  file: string,
): Promise<GbdtScorer> {
  const bytes = files.get(file);
  if (!bytes) throw new ModelLoadError("invalid", `the manifest lists ${file}, which is missing`);
  let scorer: GbdtScorer;
  try {
    scorer = await engine.createScorer(bytes, FEATURE_COUNT);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ModelLoadError("invalid", `${file}: ${engine.name} cannot load it: ${why}`, {
      cause,
    });
  }
  // One all-zero row: a model that reads other columns or yields NaN is refused now, not later.
  let probe: Float32Array;
  try {
    probe = await scorer.predict(new Float32Array(FEATURE_COUNT), 1);
  } catch (cause) {
    await scorer.release().catch(() => {});
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ModelLoadError("invalid", `${file}: scoring a test row failed: ${why}`, { cause });
  }
  if (probe.length !== 1 || !Number.isFinite(probe[0])) {
    await scorer.release().catch(() => {});
    throw new ModelLoadError("invalid", `${file}: a test row scored ${String(probe[0])}`);
  }
  return scorer;
}

/** Validates the manifest against this service's feature layout and creates the scorers. */
export async function assembleModel(
  input: ModelFilesInput,
  engine: GbdtEngine,
): Promise<LoadedModel> {
  const manifest = checkedManifest(input);
  const calibrationEndDay = isoDateToDay(manifest.calibration_end);
  const { gbdt, scorers } = await createScorers(engine, input.files, manifest);
  let storedScores: StoredScores | null = null;
  const stored = input.customers.columns.features;
  if (gbdt && stored && input.customers.n > 0) {
    try {
      const scores = await scoreStored(gbdt, stored, input.customers.n);
      const atH = bgnbdAtTrainedHorizon(manifest.bgnbd, manifest.horizon, input.customers.columns);
      storedScores = { ...scores, bgnbdAtTrainedHorizon: atH };
    } catch (cause) {
      await Promise.allSettled(scorers.map((s) => s.release()));
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new ModelLoadError("invalid", `scoring the stored customers failed: ${why}`, { cause });
    }
  }
  return {
    identity: input.identity,
    manifest,
    timeUnit: manifest.time_unit,
    trainedHorizon: manifest.horizon,
    calibrationEndDay,
    bgnbd: manifest.bgnbd,
    paretoNbd: manifest.pareto_nbd,
    gammaGamma: manifest.gamma_gamma,
    gbdt,
    storedScores,
    engine: { name: engine.name, version: engine.version, backend: engine.backend },
    customers: input.customers,
    loadedAt: new Date().toISOString(),
    async release() {
      await Promise.allSettled(scorers.map((s) => s.release()));
    },
  };
}

/** The bundle's manifest, refused unless it parses and matches this service's feature layout. */
function checkedManifest(input: ModelFilesInput): ModelManifest {
  const manifestBytes = input.files.get(BUNDLE_FILES.manifest);
  if (!manifestBytes)
    throw new ModelLoadError("invalid", `the model has no ${BUNDLE_FILES.manifest}`);
  let manifest: ModelManifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.slice(0, 500) : String(cause);
    throw new ModelLoadError(
      "invalid",
      `${BUNDLE_FILES.manifest} is not a valid manifest: ${why}`,
      {
        cause,
      },
    );
  }
  if (!sameLayout(manifest)) {
    throw new ModelLoadError(
      "invalid",
      `feature layout mismatch: the model was trained on layout v${manifest.feature_layout.version} ` +
        `(${manifest.feature_layout.names.length} features), this service computes v${FEATURE_LAYOUT.version} ` +
        `(${FEATURE_COUNT} features)`,
    );
  }
  if (input.customers.n > 0 && input.customers.columns.featureCount !== FEATURE_COUNT) {
    throw new ModelLoadError("invalid", "stored customer features do not match the layout width");
  }
  return manifest;
}

/** The GBDT scorers the manifest names (none without a horizon); on failure none is left open. */
async function createScorers(
  engine: GbdtEngine,
  files: ModelFilesInput["files"],
  manifest: ModelManifest,
): Promise<{ gbdt: GbdtScorers | null; scorers: GbdtScorer[] }> {
  const scorers: GbdtScorer[] = [];
  if (!(manifest.gbdt.count && manifest.gbdt.purchase && manifest.horizon > 0)) {
    return { gbdt: null, scorers };
  }
  try {
    const count = await createScorer(engine, files, BUNDLE_FILES.gbdtCount);
    scorers.push(count);
    const purchase = await createScorer(engine, files, BUNDLE_FILES.gbdtPurchase);
    scorers.push(purchase);
    const spend = manifest.gbdt.spend
      ? await createScorer(engine, files, BUNDLE_FILES.gbdtSpend)
      : null;
    if (spend) scorers.push(spend);
    return { gbdt: { count, purchase, spend }, scorers };
  } catch (error) {
    await Promise.allSettled(scorers.map((s) => s.release()));
    throw error;
  }
}

const SCORE_CHUNK = 4096;

async function scoreStored(
  gbdt: GbdtScorers,
  X: Float32Array,
  n: number,
): Promise<Omit<StoredScores, "bgnbdAtTrainedHorizon">> {
  const out = {
    count: new Float32Array(n),
    purchase: new Float32Array(n),
    spend: gbdt.spend ? new Float32Array(n) : null,
  };
  for (let start = 0; start < n; start += SCORE_CHUNK) {
    const rows = Math.min(SCORE_CHUNK, n - start);
    const chunk = X.subarray(start * FEATURE_COUNT, (start + rows) * FEATURE_COUNT);
    out.count.set(await gbdt.count.predict(chunk, rows), start);
    out.purchase.set(await gbdt.purchase.predict(chunk, rows), start);
    if (gbdt.spend && out.spend) out.spend.set(await gbdt.spend.predict(chunk, rows), start);
  }
  return out;
}
