// The work the task pool (task-pool.ts) can run on a worker thread: pure functions of
// structured-cloneable inputs, so a task gives the same answer in a worker as in this thread.

import {
  forecastIntervals,
  type IntervalInput,
  type IntervalModelParams,
} from "../forecasting/intervals.ts";
import { type GbdtJob, trainGbdtJob } from "../gbdt/training-job.ts";

const TASKS = {
  /** One GBDT fit (or a bag) on rows of X and y. */
  gbdt: (input: { X: Float32Array; y: Float64Array; job: GbdtJob }) =>
    trainGbdtJob(input.X, input.y, input.job),
  /** Predictive intervals of customers (no `skip` function: it cannot be sent to a worker). */
  intervals: (input: { models: IntervalModelParams; input: Omit<IntervalInput, "skip"> }) =>
    forecastIntervals(input.models, input.input),
};

export type TaskName = keyof typeof TASKS;
export type TaskInput<K extends TaskName> = Parameters<(typeof TASKS)[K]>[0];
export type TaskOutput<K extends TaskName> = ReturnType<(typeof TASKS)[K]>;

/** Runs a task in this thread. */
export function runTask<K extends TaskName>(task: K, input: TaskInput<K>): TaskOutput<K> {
  const run = TASKS[task] as (input: TaskInput<K>) => TaskOutput<K>;
  return run(input);
}
