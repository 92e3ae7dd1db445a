// Step 3 of `trainModels`: K-fold cross-validation over customers of the three GBDT targets
// (Poisson purchase count, logistic P(any purchase), squared-error spend over the holdout), one
// loop over the targets; out-of-fold scores with per-fold values and spread, and the final models.
// The count model (the one the blend stacks) is a bag of GBDTs on logs of up to COUNT_BAG_MAX_CUSTOMERS
// customers, nested in the folds, so its out-of-fold scores are those of the bag that is served.

import type { TrainingMetrics } from "../bundle/training-metrics.ts";
import { type Fold, kFoldSplit } from "../evaluation/k-fold.ts";
import {
  type CountMetrics,
  countMetrics,
  meanAbsoluteError,
  type PurchaseMetrics,
  purchaseMetrics,
  rootMeanSquaredError,
  spreadAcrossFolds,
  total,
} from "../evaluation/metrics.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import type { GbdtModel } from "../gbdt/gbdt-model.ts";
import { spendsFromRegression } from "../gbdt/spend-floor.ts";
import { DEFAULT_BAG, type GbdtBagOptions } from "../gbdt/train-gbdt-bag.ts";
import type { TaskPool } from "../parallel/task-pool.ts";
import {
  type CrossValidated,
  crossValidateGbdt,
  poolTrainer,
  smallDataGbdtOptions,
} from "./gbdt-cross-validation.ts";
import type { StepLog } from "./step-log.ts";

export const GBDT_TARGETS = ["count", "purchase", "spend"] as const;
export type GbdtTarget = (typeof GBDT_TARGETS)[number];

export type GbdtModels = Record<GbdtTarget, GbdtModel>;

const LOSS_BY_TARGET = { count: "poisson", purchase: "logistic", spend: "squared" } as const;

/**
 * Up to this many customers the count model is a bag (DEFAULT_BAG): averaging GBDTs trained on
 * different customers cuts the variance of one fit, which is what limits it on small logs (issue
 * #17: CDNOW, 2,357 customers), at B times the count model's training time. Beyond it one GBDT's
 * variance is small and the time is not worth it (the blend's weights are also fitted on ≤ 50,000).
 */
export const COUNT_BAG_MAX_CUSTOMERS = 50_000;

/** The bag the count model uses for `customers` customers, or undefined for one GBDT. */
export function countBag(customers: number): GbdtBagOptions | undefined {
  return customers <= COUNT_BAG_MAX_CUSTOMERS ? DEFAULT_BAG : undefined;
}

/** One fold's scores as metrics.json stores them: metric name → value. */
type FoldScores = Record<string, number>;

export interface SpendMetrics {
  mae: number;
  rmse: number;
  predicted_total: number;
  actual_total: number;
}

function spendMetrics(actual: Float64Array, predicted: Float64Array): SpendMetrics {
  return {
    mae: meanAbsoluteError(actual, predicted),
    rmse: rootMeanSquaredError(actual, predicted),
    predicted_total: total(predicted),
    actual_total: total(actual),
  };
}

const FOLD_SCORES: Record<
  GbdtTarget,
  (actual: Float64Array, predicted: Float64Array) => FoldScores
> = {
  count: (a, p) => ({ ...countMetrics(a, p) }),
  purchase: (a, p) => ({ ...purchaseMetrics(a, p) }),
  spend: (a, p) => ({ ...spendMetrics(a, spendsFromRegression(p)) }),
};

/** Runs `run` on each target in GBDT_TARGETS order. */
function forEachTarget<T>(run: (target: GbdtTarget) => T): Record<GbdtTarget, T> {
  return { count: run("count"), purchase: run("purchase"), spend: run("spend") };
}

export type GbdtMetrics = Pick<
  TrainingMetrics["models"],
  "gbdt_count" | "gbdt_purchase" | "gbdt_spend"
>;

export interface GbdtTraining {
  /** Refitted on every customer. */
  models: GbdtModels;
  /** Out-of-fold predictions per customer. */
  oof: Record<GbdtTarget, Float64Array>;
  /** The folds the out-of-fold predictions come from. */
  folds: Fold[];
  holdout: { count: CountMetrics; purchase: PurchaseMetrics };
  metrics: GbdtMetrics;
}

export interface GbdtTrainingOptions {
  folds: number;
  seed: number;
  fast?: boolean;
  /** false: one count GBDT even where countBag would bag it (for measuring the bag). */
  bagCount?: boolean;
  /** Where the fits run (ml/parallel/task-pool.ts; default: this thread). Same models either way. */
  pool?: TaskPool;
}

/** A target's metrics.json entry: out-of-fold `holdout` scores with each fold's and their spread. */
function crossValidationMetrics<H extends object>(
  holdout: H,
  cv: CrossValidated<FoldScores>,
  folds: number,
) {
  return {
    holdout: { ...holdout, folds: cv.folds, spread: spreadAcrossFolds(cv.folds) },
    folds,
    trees: cv.final.trees.length,
    train_seconds: cv.seconds,
  };
}

/** The running fits' progress as a counter's note: "2 running, 88 and 55 trees so far". */
export function runningFits(trees: readonly number[]): string {
  const counts = trees.map((t) => t.toLocaleString("en-US"));
  const listed =
    counts.length > 1 ? `${counts.slice(0, -1).join(", ")} and ${counts.at(-1)}` : counts[0];
  return `${trees.length} running, ${listed} ${trees.length === 1 && trees[0] === 1 ? "tree" : "trees"} so far`;
}

/** Cross-validates and refits the three GBDT models on the features `X` of every customer. */
export async function trainGbdtModels(
  X: Float32Array,
  summaries: CustomerSummaries,
  options: GbdtTrainingOptions,
  steps: StepLog,
): Promise<GbdtTraining> {
  const { folds: k, seed } = options;
  const n = summaries.n;
  const folds = kFoldSplit(n, k, seed);
  const trainingRows = Math.round((n * (k - 1)) / k);
  const actual = summaries.holdoutPurchases;
  const targets: Record<GbdtTarget, Float64Array> = {
    count: actual,
    purchase: Float64Array.from(actual, (v) => (v > 0 ? 1 : 0)),
    spend: summaries.holdoutSpend,
  };
  // Each target's k folds and its final fit on every customer: after the last fold, the final
  // fits (on a million customers about a minute) used to run with "GBDT folds 15/15" shown.
  const counter = steps.counter("GBDT fits", 3 * (k + 1));
  const validate = (target: GbdtTarget) =>
    crossValidateGbdt(
      X,
      targets[target],
      folds,
      smallDataGbdtOptions(LOSS_BY_TARGET[target], trainingRows, seed, options.fast),
      FOLD_SCORES[target],
      undefined,
      {
        ...(options.pool ? { trainer: poolTrainer(options.pool, X, targets[target]) } : {}),
        bag: target === "count" && options.bagCount !== false ? countBag(n) : undefined,
        // Each fold as it finishes: counted once a target's folds were all done, the bar sat at
        // 10/18 for minutes on a million customers while the next folds were half done.
        onFit: (f) => counter.tick(`${target} fold ${f + 1}`),
      },
    ).then((validated) => {
      counter.tick(`${target} final fit`);
      return validated;
    });
  // A fit on a million customers takes minutes: the trees the running ones have grown show the
  // bar is alive between ticks.
  const unwatch = options.pool?.watchTrees((running) => counter.note(runningFits(running)));
  const cv = await steps.step(`GBDT ${k}-fold cross-validation + final fit`, async () => {
    try {
      // Every target's fits are queued at once, the count model's (the longest) first.
      const [count, purchase, spend] = await Promise.all([
        validate("count"),
        validate("purchase"),
        validate("spend"),
      ]);
      return { count, purchase, spend };
    } finally {
      unwatch?.();
      counter.stop();
    }
  });
  const oof = forEachTarget((target) => cv[target].oof);
  oof.spend = spendsFromRegression(oof.spend);
  const holdout = {
    count: countMetrics(actual, oof.count),
    purchase: purchaseMetrics(actual, oof.purchase),
  };
  return {
    models: forEachTarget((target) => cv[target].final),
    oof,
    folds,
    holdout,
    metrics: {
      gbdt_count: crossValidationMetrics(holdout.count, cv.count, k),
      gbdt_purchase: crossValidationMetrics(holdout.purchase, cv.purchase, k),
      gbdt_spend: {
        loss: LOSS_BY_TARGET.spend,
        ...crossValidationMetrics(spendMetrics(targets.spend, oof.spend), cv.spend, k),
      },
    },
  };
}
