import { expect, setDefaultTimeout, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { crossValidateGbdt } from "../pipelines/gbdt-cross-validation.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";
import type { GbdtJob } from "./training-job.ts";
import {
  createGbdtTrainingPool,
  defaultTrainingWorkers,
  inProcessTrainer,
} from "./training-pool.ts";

// Starting Bun workers and training on a busy 2-core machine can take seconds.
setDefaultTimeout(60_000);

const count = makeSyntheticGbdtData(900, 6, "poisson", 2);
const spend = makeSyntheticGbdtData(900, 6, "squared", 3);
const folds = kFoldSplit(900, 4, 9);
const jobs: GbdtJob[] = [
  { rows: null, options: { loss: "poisson", nEstimators: 30, seed: 1 } },
  { rows: folds[0]?.train ?? null, options: { loss: "poisson", nEstimators: 25, seed: 2 } },
  {
    rows: folds[1]?.train ?? null,
    options: { loss: "poisson", nEstimators: 40, earlyStoppingRounds: 5, seed: 3 },
    bag: { members: 3, sampling: "bootstrap", fraction: 0.8 },
  },
];

test("workers train the same models as this thread, for every target, rows and bags", async () => {
  const local = await Promise.all(jobs.map((job) => inProcessTrainer(count.X, count.y)(job)));
  for (const workers of [2, 3]) {
    const pool = createGbdtTrainingPool(count.X, { count: count.y, spend: spend.y }, workers);
    try {
      expect(pool.workers).toBe(workers);
      const trained = await Promise.all(jobs.map((job) => pool.trainer("count")(job)));
      expect(trained).toEqual(local);
      const squared = { rows: null, options: { loss: "squared" as const, nEstimators: 20 } };
      expect(await pool.trainer("spend")(squared)).toEqual(
        await inProcessTrainer(count.X, spend.y)(squared),
      );
    } finally {
      pool.close();
    }
  }
});

test("a cross-validation on the pool equals the one in this thread, scores and final model", async () => {
  const options = { loss: "poisson" as const, nEstimators: 30, earlyStoppingRounds: 5, seed: 4 };
  const score = (a: Float64Array, p: Float64Array) => poissonDeviance(a, p);
  const bag = { members: 2, sampling: "subsample" as const, fraction: 0.8 };
  for (const run of [{}, { bag }]) {
    const local = await crossValidateGbdt(count.X, count.y, folds, options, score, undefined, run);
    const pool = createGbdtTrainingPool(count.X, { count: count.y }, 2);
    try {
      const pooled = await crossValidateGbdt(count.X, count.y, folds, options, score, undefined, {
        ...run,
        trainer: pool.trainer("count"),
      });
      expect(pooled.oof).toEqual(local.oof);
      expect(pooled.folds).toEqual(local.folds);
      expect(pooled.foldTrees).toEqual(local.foldTrees);
      expect(pooled.final).toEqual(local.final);
    } finally {
      pool.close();
    }
  }
});

test("a job that fails rejects with its error; the pool goes on with the others", async () => {
  const pool = createGbdtTrainingPool(count.X, { count: count.y }, 2);
  try {
    const train = pool.trainer("count");
    const bad = { rows: null, options: { loss: "poisson" as const, learningRate: -1 } };
    const results = await Promise.allSettled([train(bad), train(bad), train(jobs[0] as GbdtJob)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    for (const r of results.slice(0, 2)) {
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/learningRate/);
    }
    expect(() => pool.trainer("nope")).toThrow(/no target named nope/);
    // A job that cannot be sent to a worker fails alone; the worker is not lost.
    const uncloneable = { ...bad, options: { ...bad.options, learningRate: 0.1, f: () => 1 } };
    const sent = await Promise.allSettled([train(uncloneable), train(jobs[0] as GbdtJob)]);
    expect(sent.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(await train(jobs[1] as GbdtJob)).toBeDefined();
  } finally {
    pool.close();
  }
});

test("close rejects what is still queued; a closed pool takes no jobs", async () => {
  const pool = createGbdtTrainingPool(count.X, { count: count.y }, 2);
  const train = pool.trainer("count");
  const queued = Array.from({ length: 4 }, () => train(jobs[0] as GbdtJob));
  pool.close();
  const settled = await Promise.allSettled(queued);
  expect(settled.every((r) => r.status === "rejected")).toBe(true);
  await expect(train(jobs[0] as GbdtJob)).rejects.toThrow(/closed/);
});

test("worker count: ML_WORKERS when set (0 = this thread only), else the cores, at most 8", () => {
  expect(defaultTrainingWorkers({ ML_WORKERS: "3" })).toBe(3);
  expect(defaultTrainingWorkers({ ML_WORKERS: "0" })).toBe(0);
  const cores = Math.min(8, navigator.hardwareConcurrency);
  expect(defaultTrainingWorkers({})).toBe(cores);
  expect(() => defaultTrainingWorkers({ ML_WORKERS: "two" })).toThrow(/ML_WORKERS=two/);
  expect(() => defaultTrainingWorkers({ ML_WORKERS: "-1" })).toThrow(/whole number/);
  const single = createGbdtTrainingPool(count.X, { count: count.y }, 1);
  expect(single.workers).toBe(0);
});
