// A task-pool worker that dies on its first task without answering, as a thread killed mid-task
// (out of memory) would: for task-pool.test.ts.
import { parentPort } from "node:worker_threads";

parentPort?.on("message", () => {
  process.exit(7);
});
