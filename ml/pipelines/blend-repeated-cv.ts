// Repeated cross-validation for the blend's inputs (issue #17, measured by bench/blend-candidates):
// more K-fold splits of the same customers, over each of which gbdtOutOfFold
// (gbdt-cross-validation.ts) gives a GBDT's out-of-fold forecasts to average per customer. Not
// used in training: the averaged forecast is a bag of fold models that no bundle serves; training
// bags the served count model itself instead (ml/gbdt/train-gbdt-bag.ts, README).

import { type Fold, kFoldSplit } from "../evaluation/k-fold.ts";

/** K-fold splits in all: the training split and CV_REPEATS − 1 more. */
export const CV_REPEATS = 3;

/** The splits after the first (seed): fold seeds seed + 7919·r, r = 1 … repeats − 1. */
export function moreFoldSplits(n: number, k: number, seed: number, repeats = CV_REPEATS): Fold[][] {
  return Array.from({ length: repeats - 1 }, (_, r) => kFoldSplit(n, k, seed + 7919 * (r + 1)));
}
