import { expect, setDefaultTimeout, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { forecastIntervals } from "../forecasting/intervals.ts";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { type GbdtJob, inProcessTrainer } from "../gbdt/training-job.ts";
import { crossValidateGbdt, poolTrainer } from "../pipelines/gbdt-cross-validation.ts";
import {
  createTaskPool,
  defaultTrainingWorkers,
  PARALLEL_FITS_MIN_CUSTOMERS,
  poolForFits,
} from "./task-pool.ts";

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

test("workers fit the same GBDTs as this thread, for every target, rows and bags", async () => {
  const local = await Promise.all(jobs.map((job) => inProcessTrainer(count.X, count.y)(job)));
  for (const threads of [2, 3]) {
    const pool = createTaskPool(threads);
    try {
      expect(pool.threads).toBe(threads);
      const trained = await Promise.all(
        jobs.map((job) => poolTrainer(pool, count.X, count.y)(job)),
      );
      expect(trained).toEqual(local);
      const squared = { rows: null, options: { loss: "squared" as const, nEstimators: 20 } };
      expect(await pool.run("gbdt", { X: count.X, y: spend.y, job: squared })).toEqual(
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
    const pool = createTaskPool(2);
    try {
      const pooled = await crossValidateGbdt(count.X, count.y, folds, options, score, undefined, {
        ...run,
        trainer: poolTrainer(pool, count.X, count.y),
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

test("intervals computed in parts on workers equal one call in this thread", async () => {
  const n = 300;
  const x = Float64Array.from({ length: n }, (_, i) => i % 9);
  const T = Float64Array.from({ length: n }, (_, i) => 20 + (i % 17));
  const tx = Float64Array.from(x, (v, i) => (v === 0 ? 0 : (T[i] ?? 0) * ((i % 5) / 5)));
  const monetary = Float64Array.from(x, (v, i) => (v > 0 ? 10 + (i % 7) : Number.NaN));
  const models = {
    bgnbd: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 },
    paretoNbd: { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 },
    gammaGamma: { p: 6.25, q: 3.74, gamma: 15.4 },
    covariances: null,
    dispersion: {},
  };
  const base = { horizon: 39, levels: [0.8, 0.95], distribution: true, screenMaxX: 8 };
  const whole = forecastIntervals(models, { ...base, x, tx, T, monetary });
  const pool = createTaskPool(2);
  try {
    const halves = await Promise.all(
      [0, 150].map((from) =>
        pool.run("intervals", {
          models,
          input: {
            ...base,
            x: x.slice(from, from + 150),
            tx: tx.slice(from, from + 150),
            T: T.slice(from, from + 150),
            monetary: monetary.slice(from, from + 150),
          },
        }),
      ),
    );
    for (const model of ["bgnbd", "pareto_nbd"] as const) {
      const joined = halves.flatMap((h) => Array.from(h[model]?.byLevel[1]?.spend ?? []));
      expect(joined).toEqual(Array.from(whole[model]?.byLevel[1]?.spend ?? []));
      const pmfs = halves.flatMap((h) => h[model]?.pmf ?? []);
      expect(pmfs).toEqual(whole[model]?.pmf ?? []);
    }
  } finally {
    pool.close();
  }
});

test("a task that fails rejects with its error; the pool goes on with the others", async () => {
  const pool = createTaskPool(2);
  try {
    const train = poolTrainer(pool, count.X, count.y);
    const bad = { rows: null, options: { loss: "poisson" as const, learningRate: -1 } };
    const results = await Promise.allSettled([train(bad), train(bad), train(jobs[0] as GbdtJob)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    for (const r of results.slice(0, 2)) {
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/learningRate/);
    }
    // A task that cannot be sent to a worker fails alone; the worker is not lost.
    const uncloneable = { ...bad, options: { ...bad.options, learningRate: 0.1, f: () => 1 } };
    const sent = await Promise.allSettled([train(uncloneable), train(jobs[0] as GbdtJob)]);
    expect(sent.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(await train(jobs[1] as GbdtJob)).toBeDefined();
  } finally {
    pool.close();
  }
});

test("a worker that dies mid-task: its task reruns in this thread, nothing is lost", async () => {
  const lost: string[] = [];
  const pool = createTaskPool(3, {
    workerUrl: new URL("../testing/dying-task-worker.ts", import.meta.url),
    onWorkerLost: (error) => lost.push(error.message),
  });
  try {
    const train = poolTrainer(pool, count.X, count.y);
    const alone = jobs.map((job) => inProcessTrainer(count.X, count.y)(job));
    // Both workers take a task and die; every task still gets its answer, the same as alone.
    const results = await Promise.all([...jobs, ...jobs].map((job) => train(job)));
    expect(results.length).toBe(6);
    for (let i = 0; i < results.length; i++) {
      expect(JSON.stringify(results[i])).toBe(JSON.stringify(await alone[i % jobs.length]));
    }
    expect(lost.length).toBe(2);
    for (const message of lost) expect(message).toMatch(/task worker exited \(7\)/);
    // With no worker left, the pool runs tasks in this thread.
    expect(JSON.stringify(await train(jobs[0] as GbdtJob))).toBe(JSON.stringify(await alone[0]));
  } finally {
    pool.close();
  }
});

test("close rejects what is still queued; a closed pool takes no tasks", async () => {
  const pool = createTaskPool(2);
  const train = poolTrainer(pool, count.X, count.y);
  const queued = Array.from({ length: 4 }, () => train(jobs[0] as GbdtJob));
  pool.close();
  const settled = await Promise.allSettled(queued);
  expect(settled.every((r) => r.status === "rejected")).toBe(true);
  await expect(train(jobs[0] as GbdtJob)).rejects.toThrow(/closed/);
});

test("thread count: ML_WORKERS when set (0 = this thread only), else the cores, at most 8", () => {
  expect(defaultTrainingWorkers({ ML_WORKERS: "3" })).toBe(3);
  expect(defaultTrainingWorkers({ ML_WORKERS: "0" })).toBe(0);
  const cores = Math.min(8, navigator.hardwareConcurrency);
  expect(defaultTrainingWorkers({})).toBe(cores);
  expect(() => defaultTrainingWorkers({ ML_WORKERS: "two" })).toThrow(/ML_WORKERS=two/);
  expect(() => defaultTrainingWorkers({ ML_WORKERS: "-1" })).toThrow(/whole number/);
  // Number() read these as 4, 16 and 0 workers.
  for (const bad of ["0x4", "1.6e1", " "]) {
    expect(() => defaultTrainingWorkers({ ML_WORKERS: bad })).toThrow(/whole number/);
  }
  expect(createTaskPool(0).threads).toBe(1);
});

test("GBDT fits go to the pool from PARALLEL_FITS_MIN_CUSTOMERS customers on, else this thread", async () => {
  const pool = createTaskPool(2);
  try {
    expect(poolForFits(pool, PARALLEL_FITS_MIN_CUSTOMERS)).toBe(pool);
    const small = poolForFits(pool, PARALLEL_FITS_MIN_CUSTOMERS - 1);
    expect(small).not.toBe(pool);
    expect(small.threads).toBe(1);
    const job = jobs[0] as GbdtJob;
    expect(await small.run("gbdt", { X: count.X, y: count.y, job })).toEqual(
      await inProcessTrainer(count.X, count.y)(job),
    );
  } finally {
    pool.close();
  }
});

test("watchTrees hears each running fit's trees, from workers and this thread; models unchanged", async () => {
  const job = jobs[0] as GbdtJob; // 30 rounds, no early stopping: 30 trees
  const alone = await inProcessTrainer(count.X, count.y)(job);
  const pool = createTaskPool(2, { treesEveryMs: 0 });
  const heard: number[][] = [];
  const unwatch = pool.watchTrees((running) => heard.push(running));
  try {
    // Two at once: one on the worker, one in this thread.
    const trained = await Promise.all(
      [job, job].map((j) => poolTrainer(pool, count.X, count.y)(j)),
    );
    expect(trained).toEqual([alone, alone]);
    expect(heard.length).toBeGreaterThan(0);
    const most = Math.max(...heard.flat());
    expect(most).toBe(30);
    expect(heard.every((r) => r.length >= 1 && r.length <= 2)).toBe(true);
    unwatch();
    const before = heard.length;
    await poolTrainer(pool, count.X, count.y)(job);
    expect(heard.length).toBe(before);
  } finally {
    pool.close();
  }
});

test("onFit hears each fold as its model is trained; the cross-validation is unchanged", async () => {
  const options = { loss: "poisson" as const, nEstimators: 30, earlyStoppingRounds: 5, seed: 4 };
  const score = (a: Float64Array, p: Float64Array) => poissonDeviance(a, p);
  const local = await crossValidateGbdt(count.X, count.y, folds, options, score);
  const pool = createTaskPool(2);
  const fitted: number[] = [];
  const scored: number[] = [];
  try {
    const watched = await crossValidateGbdt(
      count.X,
      count.y,
      folds,
      options,
      score,
      (f) => scored.push(f),
      { trainer: poolTrainer(pool, count.X, count.y), onFit: (f) => fitted.push(f) },
    );
    expect({ ...watched, seconds: 0 }).toEqual({ ...local, seconds: 0 });
    expect([...fitted].sort()).toEqual([0, 1, 2, 3]);
    expect(scored).toEqual([0, 1, 2, 3]);
  } finally {
    pool.close();
  }
});
