// A worker thread of the task pool (task-pool.ts): runs the tasks it is sent, one at a time, and
// posts each result (or the error's name and message) back.

import { parentPort } from "node:worker_threads";
import { whileCountingTrees } from "../gbdt/fit-progress.ts";
import type { TaskMessage, TaskReply } from "./task-pool.ts";
import { runTask } from "./tasks.ts";

parentPort?.on("message", (message: TaskMessage) => {
  let reply: TaskReply;
  try {
    // A long fit says how far it is, about once a second (the pool shows it as progress).
    const grown = (trees: number) => parentPort?.postMessage({ id: message.id, trees });
    const run = () => runTask(message.task, message.input);
    const output = whileCountingTrees(grown, run, message.treesEveryMs);
    reply = { id: message.id, output };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reply = { id: message.id, error: text };
  }
  parentPort?.postMessage(reply);
});
