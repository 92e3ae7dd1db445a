// A worker thread of the task pool (task-pool.ts): runs the tasks it is sent, one at a time, and
// posts each result (or the error's name and message) back.

import { parentPort } from "node:worker_threads";
import type { TaskMessage, TaskReply } from "./task-pool.ts";
import { runTask } from "./tasks.ts";

parentPort?.on("message", (message: TaskMessage) => {
  let reply: TaskReply;
  try {
    reply = { id: message.id, output: runTask(message.task, message.input) };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reply = { id: message.id, error: text };
  }
  parentPort?.postMessage(reply);
});
