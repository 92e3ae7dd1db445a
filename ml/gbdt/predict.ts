// Scores a GbdtModel in TypeScript: margins (sum of leaf values plus base score, in double) and
// responses (mean for poisson/gamma/squared, probability for logistic).

import type { GbdtModel, GbdtTree } from "./gbdt-model.ts";
import { boostingLoss } from "./losses.ts";

/** Leaf value of one tree for the row starting at X[offset]; `x <= threshold`, NaN goes right. */
export function treeMarginRaw(tree: GbdtTree, X: Float32Array, offset: number): number {
  const { feature, threshold, left, right, value } = tree;
  let node = 0;
  let f = feature[0]!;
  while (f >= 0) {
    node = X[offset + f]! <= threshold[node]! ? left[node]! : right[node]!;
    f = feature[node]!;
  }
  return value[node]!;
}

function rowCount(model: GbdtModel, X: Float32Array, n?: number): number {
  const rows = n ?? X.length / model.featureCount;
  if (!Number.isInteger(rows) || X.length < rows * model.featureCount) {
    throw new RangeError(
      `X: length ${X.length} does not hold ${rows} rows of ${model.featureCount} features`,
    );
  }
  return rows;
}

/** Raw scores (margins) of n rows of row-major X. */
export function predictGbdtMargin(model: GbdtModel, X: Float32Array, n?: number): Float64Array {
  const rows = rowCount(model, X, n);
  const p = model.featureCount;
  const out = new Float64Array(rows).fill(model.baseScore);
  for (const tree of model.trees) {
    for (let i = 0; i < rows; i++) out[i]! += treeMarginRaw(tree, X, i * p);
  }
  return out;
}

/** Predictions on the response scale (mean count/spend, or probability). */
export function predictGbdt(model: GbdtModel, X: Float32Array, n?: number): Float64Array {
  const out = predictGbdtMargin(model, X, n);
  const { toResponse } = boostingLoss(model.loss);
  for (let i = 0; i < out.length; i++) out[i] = toResponse(out[i]!);
  return out;
}
