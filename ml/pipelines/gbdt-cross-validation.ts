// K-fold training of one GBDT target over customers: out-of-fold predictions (each customer scored
// by a model that never saw them), per-fold scores, and the final model trained on everyone with
// the number of rounds the folds' early stopping chose; or, with a bag (ml/gbdt/train-gbdt-bag.ts),
// each fold's model and the final one are bags, every member early-stopped on its out-of-bag rows.

import type { Fold } from "../evaluation/k-fold.ts";
import { takeRows, takeValues } from "../gbdt/dataset-rows.ts";
import type { GbdtLoss, GbdtModel } from "../gbdt/gbdt-model.ts";
import { predictGbdt } from "../gbdt/predict.ts";
import type { GbdtTrainOptions } from "../gbdt/train-gbdt.ts";
import type { GbdtBagOptions } from "../gbdt/train-gbdt-bag.ts";
import { type GbdtTrainer, inProcessTrainer } from "../gbdt/training-job.ts";
import type { TaskPool } from "../parallel/task-pool.ts";

/**
 * Fewer customers than this and no GBDT is served: the production step trains none on its window,
 * and the evaluation does not recommend the GBDT or the blend (its out-of-fold scores rest on a
 * handful of customers per fold: on 30, a GBDT with AUC 0.26 made the blend "best").
 */
export const MIN_GBDT_CUSTOMERS = 50;

/**
 * Settings for small data (CDNOW has 2,357 customers): shallow trees, many rows per leaf, shrinkage
 * and subsampling, and early stopping on a seeded 20% of each training fold.
 */
export function smallDataGbdtOptions(
  loss: GbdtLoss,
  trainingRows: number,
  seed: number,
  fast = false,
): GbdtTrainOptions {
  return {
    loss,
    learningRate: fast ? 0.1 : 0.05,
    maxDepth: 3,
    maxLeaves: 8,
    minSamplesLeaf: Math.min(200, Math.max(20, Math.round(trainingRows / 60))),
    l2: 5,
    rowSubsample: 0.8,
    featureSubsample: 0.8,
    nEstimators: fast ? 150 : 400,
    earlyStoppingRounds: fast ? 15 : 30,
    validationFraction: 0.2,
    maxDeltaStep: loss === "poisson" ? 0.7 : 0,
    seed,
  };
}

export interface CrossValidated<M> {
  /** Out-of-fold predictions on the response scale, one per customer. */
  oof: Float64Array;
  /** Scores of each fold's test customers. */
  folds: M[];
  /** Rounds each fold's early stopping kept. */
  foldTrees: number[];
  /**
   * Trained on every customer with the mean of foldTrees rounds (no early stopping); a bag's
   * members each stop on their own out-of-bag customers instead.
   */
  final: GbdtModel;
  seconds: number;
}

/** A trainer that sends each fit on X and y to the task pool. */
export function poolTrainer(pool: TaskPool, X: Float32Array, y: Float64Array): GbdtTrainer {
  return (job) => pool.run("gbdt", { X, y, job });
}

/** Where the fits run (default: this thread); a trainer bound to the same X and y. */
export interface CrossValidationRun {
  trainer?: GbdtTrainer;
  /** Train bags (nested: each bag sees only its fold's training rows). */
  bag?: GbdtBagOptions;
  /**
   * Told as soon as fold f's model is trained, in whatever order they finish (progress: onFold
   * sees them in fold order, once all are trained).
   */
  onFit?: (f: number) => void;
}

/**
 * Out-of-fold predictions on the response scale: each fold's model (a bag with `bag`) is trained
 * on the other folds (seeded seed + fold) and scores the fold's customers; `onFold` sees each
 * model and its scores, in fold order. The folds' fits are started together, so a worker pool
 * runs them side by side.
 */
export async function gbdtOutOfFold(
  X: Float32Array,
  y: Float64Array,
  folds: readonly Fold[],
  options: GbdtTrainOptions,
  onFold?: (f: number, model: GbdtModel, predicted: Float64Array, fold: Fold) => void,
  run: CrossValidationRun = {},
): Promise<Float64Array> {
  const n = y.length;
  const p = X.length / n;
  const train = run.trainer ?? inProcessTrainer(X, y);
  const models = await Promise.all(
    folds.map((fold, f) =>
      train({
        rows: fold.train,
        options: { ...options, seed: options.seed === undefined ? f : options.seed + f },
        ...(run.bag ? { bag: run.bag } : {}),
      }).then((model) => {
        run.onFit?.(f);
        return model;
      }),
    ),
  );
  const oof = new Float64Array(n);
  folds.forEach((fold, f) => {
    const model = models[f] as GbdtModel;
    const predicted = predictGbdt(model, takeRows(X, p, fold.test), fold.test.length);
    fold.test.forEach((row, i) => {
      oof[row] = predicted[i] ?? Number.NaN;
    });
    onFold?.(f, model, predicted, fold);
  });
  return oof;
}

/**
 * Cross-validates and refits one target (as a bag with `run.bag`). `score(actual, predicted)`
 * gives a fold's metrics. A bag's final fit does not wait for the folds (each member stops on its
 * own out-of-bag rows); one GBDT's final fit boosts the folds' mean rounds.
 */
export async function crossValidateGbdt<M>(
  X: Float32Array,
  y: Float64Array,
  folds: Fold[],
  options: GbdtTrainOptions,
  score: (actual: Float64Array, predicted: Float64Array) => M,
  onFold?: (fold: number) => void,
  run: CrossValidationRun = {},
): Promise<CrossValidated<M>> {
  const started = performance.now();
  const train = run.trainer ?? inProcessTrainer(X, y);
  const foldScores: M[] = [];
  const foldTrees: number[] = [];
  const bagFinal = run.bag ? train({ rows: null, options, bag: run.bag }) : null;
  bagFinal?.catch(() => {}); // awaited below; a fold's failure is the one reported
  const oof = await gbdtOutOfFold(
    X,
    y,
    folds,
    options,
    (f, model, predicted, fold) => {
      foldTrees.push(model.trees.length);
      foldScores.push(score(takeValues(y, fold.test), predicted));
      onFold?.(f);
    },
    { ...run, trainer: train },
  );
  const rounds = Math.max(1, Math.round(foldTrees.reduce((s, t) => s + t, 0) / foldTrees.length));
  const final = await (bagFinal ??
    train({
      rows: null,
      options: { ...options, nEstimators: rounds, earlyStoppingRounds: 0, validationFraction: 0 },
    }));
  return {
    oof,
    folds: foldScores,
    foldTrees,
    final,
    seconds: (performance.now() - started) / 1000,
  };
}
