// Runs training's independent pieces of work (tasks.ts: GBDT fits, interval calibration groups)
// side by side: this thread and threads − 1 worker threads. node:worker_threads (which Bun
// implements), not the global Web Worker, which onnxruntime-web's loader replaces with it in any
// process that loaded ORT. Tasks are pure and seeded by their inputs, so the answers are the same
// whichever thread runs them; the inputs are copied to the worker (structured clone).

import { Worker } from "node:worker_threads";
import { plainWholeNumberFrom } from "@pp/shared/contracts/plain-decimal.ts";
import { whileCountingTrees } from "../gbdt/fit-progress.ts";
import { runTask, type TaskInput, type TaskName, type TaskOutput } from "./tasks.ts";

export interface TaskPool {
  /** Threads in all, this one included (1: everything runs in this thread). */
  readonly threads: number;
  run<K extends TaskName>(task: K, input: TaskInput<K>): Promise<TaskOutput<K>>;
  /**
   * Tells `listener` the trees grown so far by each running GBDT fit (one number per fit that has
   * grown any, oldest task first), about once a second per fit, until the returned function is
   * called. Progress only: a fit's model is the same whether it is watched or not.
   */
  watchTrees(listener: (running: number[]) => void): () => void;
  /** Stops the workers; tasks still waiting are rejected. */
  close(): void;
}

export type TaskMessage = {
  id: number;
  task: TaskName;
  input: TaskInput<TaskName>;
  /** A fit's trees are reported at most this often (ms; 0: after each). */
  treesEveryMs: number;
};
export type TaskReply =
  | { id: number; output: unknown }
  | { id: number; error: string }
  /** Not an answer: the task, a GBDT fit, has grown `trees` trees so far (fit-progress.ts). */
  | { id: number; trees: number };

/**
 * Threads to train with by default: the machine's cores, at most 8, unless the environment says
 * otherwise (ML_WORKERS; 0 or 1 runs everything in this thread).
 */
export function defaultTrainingWorkers(env: Record<string, string | undefined> = {}): number {
  const asked = env.ML_WORKERS;
  if (asked !== undefined && asked !== "") {
    const n = plainWholeNumberFrom(asked.trim());
    if (n === null || n < 0) {
      throw new RangeError(`ML_WORKERS=${asked}: expected a whole number of worker threads >= 0`);
    }
    return n;
  }
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(8, cores));
}

/**
 * From this many customers on, training's GBDT fits go to the pool; below, they run in this
 * thread, while the workers take the other work (the BTYD models' calibration). Short fits do not
 * pay for a worker compiling the learner anew: on 2 cores, CDNOW's 2,357 customers trained in
 * 1.79-1.82 s with every fit in one thread and 1.80-1.95 s with the fits on two; 5,000 simulated
 * customers tied at 2.3 s; 20,000 took 5.7 s in one thread and 5.0-5.2 s on two.
 */
export const PARALLEL_FITS_MIN_CUSTOMERS = 10_000;

const IN_THIS_THREAD: TaskPool = {
  threads: 1,
  run: async (task, input) => runTask(task, input),
  // Fits in this thread are those of small logs (poolForFits): short, and nothing is drawn
  // while they block this thread anyway.
  watchTrees: () => () => {},
  close() {},
};

/** Where the GBDT fits of a log of `customers` customers run: `pool`, or this thread (above). */
export function poolForFits(pool: TaskPool, customers: number): TaskPool {
  return customers >= PARALLEL_FITS_MIN_CUSTOMERS ? pool : IN_THIS_THREAD;
}

export interface TaskPoolOptions {
  /** The worker's script (tests pass one that dies); default task-worker.ts. */
  workerUrl?: URL;
  /** Told when a worker thread dies; default: a warning on stderr. */
  onWorkerLost?: (error: Error) => void;
  /** watchTrees hears from each fit at most this often (ms; 0: after every tree). Default 1,000. */
  treesEveryMs?: number;
}

/** A pool of `threads` threads in all; below 2, every task runs in this thread. */
export function createTaskPool(threads: number, options: TaskPoolOptions = {}): TaskPool {
  return threads < 2 ? IN_THIS_THREAD : new WorkerPool(threads, options);
}

interface Pending {
  id: number;
  task: TaskName;
  input: TaskInput<TaskName>;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

class WorkerPool implements TaskPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private nextId = 0;
  private closed = false;
  /** Trees grown so far by running tasks that reported any, by task id. */
  private readonly trees = new Map<number, number>();
  private readonly treeWatchers = new Set<(running: number[]) => void>();
  /** This thread takes a task whenever it is free too (its code is already compiled). */
  private localScheduled = false;

  private readonly onWorkerLost: (error: Error) => void;
  private readonly treesEveryMs: number;

  constructor(
    readonly threads: number,
    options: TaskPoolOptions,
  ) {
    const url = options.workerUrl ?? new URL("./task-worker.ts", import.meta.url);
    this.treesEveryMs = options.treesEveryMs ?? 1_000;
    this.onWorkerLost =
      options.onWorkerLost ??
      ((error) => console.warn(`WARNING ${error.message}; its work goes on in the other threads`));
    for (let w = 1; w < threads; w++) {
      const worker = new Worker(url);
      worker.on("message", (reply: TaskReply) => this.settle(worker, reply));
      worker.on("error", (error) => this.lose(worker, new Error(`task worker: ${error}`)));
      worker.on("exit", (code) => this.lose(worker, new Error(`task worker exited (${code})`)));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  run<K extends TaskName>(task: K, input: TaskInput<K>): Promise<TaskOutput<K>> {
    return new Promise<TaskOutput<K>>((resolve, reject) => {
      if (this.closed) return reject(new Error("task pool is closed"));
      const id = this.nextId++;
      this.queue.push({ id, task, input, resolve: (o) => resolve(o as TaskOutput<K>), reject });
      this.dispatch();
    });
  }

  watchTrees(listener: (running: number[]) => void): () => void {
    this.treeWatchers.add(listener);
    return () => this.treeWatchers.delete(listener);
  }

  private grown(id: number, trees: number | undefined): void {
    if (trees === undefined) this.trees.delete(id);
    else this.trees.set(id, trees);
    if (trees === undefined || this.treeWatchers.size === 0) return;
    const running = [...this.trees.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
    for (const watcher of this.treeWatchers) watcher(running);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const worker of this.workers) {
      worker.removeAllListeners("exit");
      void worker.terminate();
    }
    const stopped = new Error("task pool closed before the task ran");
    for (const pending of [...this.queue, ...this.running.values()]) pending.reject(stopped);
    this.queue.length = 0;
    this.running.clear();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const pending = this.queue.shift() as Pending;
      this.running.set(worker, pending);
      const { id, task, input } = pending;
      const message: TaskMessage = { id, task, input, treesEveryMs: this.treesEveryMs };
      try {
        worker.postMessage(message);
      } catch (error) {
        // Not cloneable (e.g. a function in the input): that task fails, the worker stays.
        this.running.delete(worker);
        this.idle.push(worker);
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (this.queue.length > 0 && !this.localScheduled) {
      this.localScheduled = true;
      // After the current turn, so that tasks queued together reach the workers first.
      setTimeout(() => this.runLocal(), 0);
    }
  }

  private runLocal(): void {
    this.localScheduled = false;
    const pending = this.queue.shift();
    if (!pending || this.closed) return;
    this.runNow(pending);
  }

  /** Runs one task in this thread, settles it, then hands out what is queued. */
  private runNow(pending: Pending): void {
    try {
      const count = (trees: number) => this.grown(pending.id, trees);
      const run = () => runTask(pending.task, pending.input);
      pending.resolve(whileCountingTrees(count, run, this.treesEveryMs));
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.grown(pending.id, undefined);
    this.dispatch();
  }

  private settle(worker: Worker, reply: TaskReply): void {
    if ("trees" in reply) {
      if (this.running.get(worker)?.id === reply.id) this.grown(reply.id, reply.trees);
      return;
    }
    this.grown(reply.id, undefined);
    const pending = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (pending && pending.id === reply.id) {
      if ("output" in reply) pending.resolve(reply.output);
      else pending.reject(new Error(reply.error));
    }
    this.dispatch();
  }

  /**
   * A worker that crashed or exited (out of memory, killed): it leaves the pool and its task runs
   * again in this thread (tasks are pure, so the answer is the same), not on another worker, so a
   * task that kills threads cannot take them all. The other threads go on.
   */
  private lose(worker: Worker, error: Error): void {
    if (this.closed || !this.workers.includes(worker)) return;
    this.workers.splice(this.workers.indexOf(worker), 1);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    const pending = this.running.get(worker);
    this.running.delete(worker);
    if (pending) this.grown(pending.id, undefined);
    worker.removeAllListeners();
    void worker.terminate();
    this.onWorkerLost(error);
    if (pending) this.runHere(pending);
  }

  /** Runs one task in this thread after the current turn. */
  private runHere(pending: Pending): void {
    setTimeout(() => {
      if (this.closed) pending.reject(new Error("task pool closed before the task ran"));
      else this.runNow(pending);
    }, 0);
  }
}
