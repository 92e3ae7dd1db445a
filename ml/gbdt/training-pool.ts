// Trains GBDTs on worker threads (node:worker_threads, which Bun implements; not the global Web
// Worker, which onnxruntime-web's loader replaces with it in any process that loaded ORT) so that the independent fits of a cross-validation
// (folds × targets, and the final fits) use every core. Each worker gets the feature matrix and
// the targets once; a job only names its rows and options. A job gives the same model in a worker
// as in this thread: every fit is seeded by its options alone.

import { Worker } from "node:worker_threads";
import type { GbdtModel } from "./gbdt-model.ts";
import { type GbdtJob, trainGbdtJob } from "./training-job.ts";

/** Trains one job on the target it is bound to. */
export type GbdtTrainer = (job: GbdtJob) => Promise<GbdtModel>;

export type TrainingPoolMessage =
  | { type: "data"; X: Float32Array; targets: Record<string, Float64Array> }
  | { type: "job"; id: number; target: string; job: GbdtJob };

export type TrainingPoolReply = { id: number; model: GbdtModel } | { id: number; error: string };

export interface GbdtTrainingPool {
  /** Worker threads (0: jobs run in this thread). */
  readonly workers: number;
  trainer(target: string): GbdtTrainer;
  /** Stops the workers; jobs still waiting are rejected. */
  close(): void;
}

/** A trainer that runs each job in this thread (on the next turn of the event loop). */
export function inProcessTrainer(X: Float32Array, y: Float64Array): GbdtTrainer {
  return async (job) => trainGbdtJob(X, y, job);
}

/**
 * Worker threads to train with by default: the machine's cores, at most 8, unless the environment
 * says otherwise (ML_WORKERS; 0 or 1 trains in this thread).
 */
export function defaultTrainingWorkers(env: Record<string, string | undefined> = {}): number {
  const asked = env.ML_WORKERS;
  if (asked !== undefined && asked !== "") {
    const n = Number(asked);
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`ML_WORKERS=${asked}: expected a whole number of worker threads >= 0`);
    }
    return n;
  }
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(8, cores));
}

interface Pending {
  id: number;
  target: string;
  job: GbdtJob;
  resolve(model: GbdtModel): void;
  reject(error: Error): void;
}

/**
 * A pool of `workers` threads over features X and the named targets: this thread and workers − 1
 * worker threads. With fewer than 2 every job runs in this thread.
 */
export function createGbdtTrainingPool(
  X: Float32Array,
  targets: Record<string, Float64Array>,
  workers: number,
): GbdtTrainingPool {
  if (workers < 2) {
    return {
      workers: 0,
      trainer: (target) => inProcessTrainer(X, targetOf(targets, target)),
      close: () => {},
    };
  }
  return new WorkerPool(X, targets, workers);
}

function targetOf(targets: Record<string, Float64Array>, target: string): Float64Array {
  const y = targets[target];
  if (!y) throw new RangeError(`training pool: no target named ${target}`);
  return y;
}

class WorkerPool implements GbdtTrainingPool {
  private readonly threads: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private nextId = 0;
  private closed = false;
  /** This thread takes a job whenever it is free too (its code is already compiled). */
  private localScheduled = false;

  constructor(
    private readonly X: Float32Array,
    private readonly targets: Record<string, Float64Array>,
    readonly workers: number,
  ) {
    const url = new URL("./training-worker.ts", import.meta.url);
    for (let w = 1; w < workers; w++) {
      const worker = new Worker(url);
      worker.on("message", (reply: TrainingPoolReply) => this.settle(worker, reply));
      worker.on("error", (error) => this.fail(worker, new Error(`training worker: ${error}`)));
      worker.on("exit", (code) => this.fail(worker, new Error(`training worker exited (${code})`)));
      const data: TrainingPoolMessage = { type: "data", X, targets };
      worker.postMessage(data);
      this.threads.push(worker);
      this.idle.push(worker);
    }
  }

  trainer(target: string): GbdtTrainer {
    targetOf(this.targets, target);
    return (job) =>
      new Promise<GbdtModel>((resolve, reject) => {
        if (this.closed) return reject(new Error("training pool is closed"));
        this.queue.push({ id: this.nextId++, target, job, resolve, reject });
        this.dispatch();
      });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const worker of this.threads) {
      worker.removeAllListeners("exit");
      void worker.terminate();
    }
    const stopped = new Error("training pool closed before the job ran");
    for (const pending of [...this.queue, ...this.running.values()]) pending.reject(stopped);
    this.queue.length = 0;
    this.running.clear();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const pending = this.queue.shift() as Pending;
      this.running.set(worker, pending);
      const message: TrainingPoolMessage = {
        type: "job",
        id: pending.id,
        target: pending.target,
        job: pending.job,
      };
      try {
        worker.postMessage(message);
      } catch (error) {
        // Not cloneable (e.g. a function in the options): that job fails, the worker stays.
        this.running.delete(worker);
        this.idle.push(worker);
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (this.queue.length > 0 && !this.localScheduled) {
      this.localScheduled = true;
      // After the current turn, so that jobs queued together reach the workers first.
      setTimeout(() => this.runLocal(), 0);
    }
  }

  private runLocal(): void {
    this.localScheduled = false;
    const pending = this.queue.shift();
    if (!pending || this.closed) return;
    try {
      const y = targetOf(this.targets, pending.target);
      pending.resolve(trainGbdtJob(this.X, y, pending.job));
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.dispatch();
  }

  private settle(worker: Worker, reply: TrainingPoolReply): void {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (pending && pending.id === reply.id) {
      if ("model" in reply) pending.resolve(reply.model);
      else pending.reject(new Error(reply.error));
    }
    this.dispatch();
  }

  /** A worker that crashed or exited: its job fails, and so does the pool (the thread is gone). */
  private fail(worker: Worker, error: Error): void {
    if (this.closed) return;
    this.running.get(worker)?.reject(error);
    this.running.delete(worker);
    this.close();
  }
}
