// A GBDT count model on top of a baseline forecast (BG/NBD's): Poisson loss with log(baseline) as
// the per-row offset, so the trees learn a multiplicative correction and, unlike a plain GBDT,
// keep the baseline's extrapolation to heavy buyers. Out of fold over the same customer folds.

import type { Fold } from "../evaluation/k-fold.ts";
import { takeRows } from "../gbdt/dataset-rows.ts";
import { predictGbdtMargin } from "../gbdt/predict.ts";
import { type GbdtTrainOptions, trainGbdt } from "../gbdt/train-gbdt.ts";

/** The baseline's margin; floored so that a zero forecast does not give −∞. */
export function offsetOf(baseline: number): number {
  return Math.log(Math.max(baseline, 1e-6));
}

/** Out-of-fold forecasts baseline · e^{trees}, each fold's model trained on the other folds. */
export function crossValidateOffsetGbdt(
  X: Float32Array,
  y: Float64Array,
  baseline: Float64Array,
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
      { ...options, seed: (options.seed ?? 0) + f },
      undefined,
      Float64Array.from(fold.train, (i) => offsetOf(baseline[i] ?? 0)),
    );
    const margin = predictGbdtMargin(model, takeRows(X, p, fold.test), fold.test.length);
    fold.test.forEach((i, j) => {
      oof[i] = Math.exp((margin[j] ?? 0) + offsetOf(baseline[i] ?? 0));
    });
  });
  return oof;
}
