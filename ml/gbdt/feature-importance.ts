// Feature importance of a trained GBDT: total split gain and number of splits per feature.

import type { GbdtModel } from "./gbdt-model.ts";

export interface GbdtFeatureImportance {
  /** Sum of split gains per feature, divided by the total (sums to 1 when any split exists). */
  gainShare: Float64Array;
  /** Number of splits on each feature. */
  splits: Int32Array;
}

export function gbdtFeatureImportance(model: GbdtModel): GbdtFeatureImportance {
  const gain = new Float64Array(model.featureCount);
  const splits = new Int32Array(model.featureCount);
  let total = 0;
  for (const tree of model.trees) {
    for (let node = 0; node < tree.feature.length; node++) {
      const f = tree.feature[node]!;
      if (f < 0) continue;
      gain[f]! += tree.gain[node]!;
      splits[f]!++;
      total += tree.gain[node]!;
    }
  }
  if (total > 0) for (let f = 0; f < gain.length; f++) gain[f]! /= total;
  return { gainShare: gain, splits };
}
