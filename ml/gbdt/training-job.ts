// One GBDT fit described as data (which rows, which options, bagged or not), so that it can be
// run in this thread or sent to a worker thread (ml/parallel/task-pool.ts) and give the same model.

import { takeRows, takeValues } from "./dataset-rows.ts";
import type { GbdtModel } from "./gbdt-model.ts";
import { type GbdtTrainOptions, trainGbdt } from "./train-gbdt.ts";
import { type GbdtBagOptions, trainGbdtBag } from "./train-gbdt-bag.ts";

export interface GbdtJob {
  /** Rows of the data to train on (null: every row). */
  rows: Uint32Array | null;
  options: GbdtTrainOptions;
  /** Train a bag of GBDTs (train-gbdt-bag.ts) instead of one. */
  bag?: GbdtBagOptions;
  /** With `bag`: each member's fixed number of rounds (a refit with the rounds a bag kept). */
  rounds?: number[];
}

/** Runs the job on features X (row-major) and target y. */
export function trainGbdtJob(X: Float32Array, y: Float64Array, job: GbdtJob): GbdtModel {
  const p = X.length / y.length;
  const trainX = job.rows ? takeRows(X, p, job.rows) : X;
  const trainY = job.rows ? takeValues(y, job.rows) : y;
  return job.bag
    ? trainGbdtBag(trainX, trainY, job.options, job.bag, job.rounds)
    : trainGbdt(trainX, trainY, job.options);
}

/** Trains one job on the features and target it is bound to (in this thread or elsewhere). */
export type GbdtTrainer = (job: GbdtJob) => Promise<GbdtModel>;

/** A trainer that runs each job in this thread. */
export function inProcessTrainer(X: Float32Array, y: Float64Array): GbdtTrainer {
  return async (job) => trainGbdtJob(X, y, job);
}
