// A worker thread of the GBDT training pool (training-pool.ts): receives the features and targets
// once, then trains the jobs it is sent, one at a time, and posts each model back.

import { parentPort } from "node:worker_threads";
import { trainGbdtJob } from "./training-job.ts";
import type { TrainingPoolMessage, TrainingPoolReply } from "./training-pool.ts";

let data: { X: Float32Array; targets: Record<string, Float64Array> } | null = null;

parentPort?.on("message", (message: TrainingPoolMessage) => {
  if (message.type === "data") {
    data = { X: message.X, targets: message.targets };
    return;
  }
  let reply: TrainingPoolReply;
  try {
    const y = data?.targets[message.target];
    if (!data || !y) throw new Error(`no data for target ${message.target}`);
    reply = { id: message.id, model: trainGbdtJob(data.X, y, message.job) };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reply = { id: message.id, error: text };
  }
  parentPort?.postMessage(reply);
});
