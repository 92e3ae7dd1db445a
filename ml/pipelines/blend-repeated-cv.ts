// Repeated cross-validation for the blend's inputs (issue #17): the GBDT count model's out-of-fold
// forecasts averaged over several K-fold splits, so the stack fitted on them (and its scores)
// depend less on one split. The served GBDT is still the one final model of the first split.

import { type Fold, kFoldSplit } from "../evaluation/k-fold.ts";
import { predictGbdt } from "../gbdt/predict.ts";
import { type GbdtTrainOptions, trainGbdt } from "../gbdt/train-gbdt.ts";
import { type CrossValidated, crossValidateGbdt, takeRows } from "./gbdt-cross-validation.ts";

/** K-fold splits in all: the training split and CV_REPEATS − 1 more. */
export const CV_REPEATS = 3;

/** The splits after the first (seed): seeds spaced by a prime so they never meet another's. */
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
      Float64Array.from(fold.train, (i) => y[i]),
      { ...options, seed: options.seed === undefined ? f : options.seed + f },
    );
    const predicted = predictGbdt(model, takeRows(X, p, fold.test), fold.test.length);
    for (let i = 0; i < fold.test.length; i++) oof[fold.test[i]] = predicted[i];
  });
  return oof;
}

/**
 * crossValidateGbdt over `folds` (per-fold scores, rounds and the final model come from it), with
 * `oof` the mean of its out-of-fold predictions and those of moreFoldSplits(n, K, options.seed).
 */
export function crossValidateGbdtRepeated<M>(
  X: Float32Array,
  y: Float64Array,
  folds: Fold[],
  options: GbdtTrainOptions,
  score: (actual: Float64Array, predicted: Float64Array) => M,
  onFold?: (fold: number) => void,
): CrossValidated<M> {
  const started = performance.now();
  const first = crossValidateGbdt(X, y, folds, options, score, onFold);
  const splits = moreFoldSplits(y.length, folds.length, options.seed ?? 0);
  const oof = Float64Array.from(first.oof);
  for (const split of splits) {
    const more = outOfFold(X, y, split, options);
    for (let i = 0; i < oof.length; i++) oof[i] += more[i];
  }
  for (let i = 0; i < oof.length; i++) oof[i] /= splits.length + 1;
  return { ...first, oof, seconds: (performance.now() - started) / 1000 };
}
