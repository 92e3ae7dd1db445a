// The blend's forecasts for `ml track`: the version's bundle loaded as `ml score` loads it and the
// stored customers forecast by the same forecastBatch, so the figures are the ones served. The
// blend is the model training usually recommends; track measured only its members.
import type { ModelRegistry, ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import type { StoredCustomers } from "@pp/shared/registry/tracking-store.ts";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import { forecastBatch } from "../forecasting/forecast-batch.ts";
import { scoringModel } from "../scoring/scoring-model.ts";

/** The blend's expected purchases per stored customer over `horizon`, or null without a blend. */
export async function blendForecasts(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  customers: StoredCustomers,
  horizon: number,
): Promise<Float64Array | null> {
  const has = (name: string) => version.artifacts.some((a) => a.name === name);
  const names: string[] = [
    BUNDLE_FILES.manifest,
    BUNDLE_FILES.gbdtCount,
    BUNDLE_FILES.gbdtPurchase,
  ];
  if (!names.every(has)) return null;
  if (has(BUNDLE_FILES.gbdtSpend)) names.push(BUNDLE_FILES.gbdtSpend);
  const files = new Map<string, Uint8Array>();
  for (const name of names) files.set(name, await registry.loadArtifact(version, name));
  const model = await scoringModel(files);
  try {
    const n = customers.ids.length;
    if (!model.manifest.blend || !model.gbdt || customers.featureCount === 0) return null;
    const batch = {
      n,
      ids: customers.ids,
      x: customers.x,
      tx: customers.tx,
      T: customers.T,
      monetary: new Float64Array(n).fill(Number.NaN), // counts only: spend is not tracked
      featureRow: Int32Array.from({ length: n }, (_, i) => i),
      storedRow: new Int32Array(n).fill(-1),
      X: customers.features,
      m: n,
      errors: new Array(n).fill(null),
    };
    const forecast = await forecastBatch(model, batch, horizon, 0);
    return forecast.blend?.expectedPurchases ?? null;
  } finally {
    await model.release();
  }
}
