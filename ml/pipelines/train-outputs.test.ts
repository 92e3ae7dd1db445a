// Two `ml train --out` runs on one folder at once: the second's beginTrainOutputs removed the
// first's temporary files in flight (as a killed run's) and deleted its marker, so the first
// failed with ENOENT on its rename and the folder mixed both runs. Now the second is refused.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { withAtomicFile } from "@pp/shared/artifacts/atomic-file.ts";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import {
  beginTrainOutputs,
  finishTrainOutputs,
  readTrainOutputs,
  TRAIN_OUTPUTS_LOCK,
  TrainOutputsBusyError,
  type WrittenOutputs,
  writeTrainOutput,
} from "./train-outputs.ts";

const root = mkdtempSync(join(tmpdir(), "pp-train-outputs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const names = ["model.json", "metrics.json"];

test("a second run on a folder being written is refused; the first finishes whole", async () => {
  const out = join(root, "busy");
  const written: WrittenOutputs = new Map();
  const first = await beginTrainOutputs(out, names);
  await writeTrainOutput(out, "metrics.json", "{}\n", written);
  // The second run starts while the first is halfway through model.json.
  let refused: unknown = null;
  await withAtomicFile(join(out, "model.json"), async (handle) => {
    await handle.write('{"run":');
    refused = await beginTrainOutputs(out, names).catch((error: unknown) => error);
    await handle.write("1}\n");
  });
  expect(refused).toBeInstanceOf(TrainOutputsBusyError);
  expect(String(refused)).toContain(`another ml train (pid ${process.pid}`);
  const model = new TextEncoder().encode('{"run":1}\n');
  written.set("model.json", { bytes: model.byteLength, sha256: await sha256Hex(model) });
  await finishTrainOutputs(out, written, new Date(), first);
  expect((await readTrainOutputs(out)).size).toBe(2);
  expect(readdirSync(out).sort()).toEqual(["metrics.json", "model.json", "train-outputs.json"]);
});

test("a lock a killed run left (its process gone) is taken over", async () => {
  const out = join(root, "stale");
  const lock = await beginTrainOutputs(out, names);
  await lock.release();
  // A pid no process has (beyond Linux's pid_max).
  writeFileSync(
    join(out, TRAIN_OUTPUTS_LOCK),
    JSON.stringify({ pid: 2 ** 22 + 1, host: hostname() }),
  );
  const written: WrittenOutputs = new Map();
  const again = await beginTrainOutputs(out, names);
  for (const name of names) await writeTrainOutput(out, name, "{}\n", written);
  await finishTrainOutputs(out, written, new Date(), again);
  expect(readdirSync(out).sort()).toEqual(["metrics.json", "model.json", "train-outputs.json"]);
});

// The busy folder was noticed only at the first write, after the whole training (minutes lost).
test("ml train on a folder another live run is writing stops before reading its data", async () => {
  const out = join(root, "busy-early");
  const held = await beginTrainOutputs(out, names);
  try {
    const { runTrainPipeline } = await import("./train.ts");
    const run = runTrainPipeline({
      data: join(root, "no-such-log.csv"),
      format: "csv",
      calibrationEnd: "1997-09-30",
      timeUnit: "week",
      out,
      workers: 0,
      print: () => {},
    });
    await expect(run).rejects.toBeInstanceOf(TrainOutputsBusyError);
  } finally {
    await held.release();
  }
});
