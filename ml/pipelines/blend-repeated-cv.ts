// Repeated cross-validation for the blend's inputs (issue #17, measured by bench/blend-candidates):
// more K-fold splits of the same customers and a GBDT's out-of-fold forecasts over one of them, to
// average per customer. Not used in training: the averaged forecast is a bag of fold models, and
// a bundle serves one count model, whose blend does not get the bag's gain (README).

import { type Fold, kFoldSplit } from "../evaluation/k-fold.ts";
import { predictGbdt } from "../gbdt/predict.ts";
import { type GbdtTrainOptions, trainGbdt } from "../gbdt/train-gbdt.ts";
import { takeRows } from "./gbdt-cross-validation.ts";

/** K-fold splits in all: the training split and CV_REPEATS − 1 more. */
export const CV_REPEATS = 3;

/** The splits after the first (seed): fold seeds seed + 7919·r, r = 1 … repeats − 1. */
export function moreFoldSplits(n: number, k: number, seed: number, repeats = CV_REPEATS): Fold[][] {
  return Array.from({ length: repeats - 1 }, (_, r) => kFoldSplit(n, k, seed + 7919 * (r + 1)));
}

/** Out-of-fold predictions over one split (each fold's model seeded as crossValidateGbdt does). */
export function outOfFold(
  X: Float32Array,
  y: Float64Array,
  folds: readonly Fold[],
  options: GbdtTrainOptions,
): Float64Array {
  const n = y.length;
  const p = X.length / n;
  const oof = new Float64Array(n);
  folds.forEach((fold, f) => {
    const model = trainGbdt(
      takeRows(X, p, fold.train),
      Float64Array.from(fold.train, (i) => y[i] ?? 0),
      { ...options, seed: options.seed === undefined ? f : options.seed + f },
    );
    const predicted = predictGbdt(model, takeRows(X, p, fold.test), fold.test.length);
    fold.test.forEach((i, j) => {
      oof[i] = predicted[j] ?? 0;
    });
  });
  return oof;
}
