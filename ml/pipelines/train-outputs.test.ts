// Two `ml train --out` runs on one folder at once: the second's beginTrainOutputs removed the
// first's temporary files in flight (as a killed run's) and deleted its marker, so the first
// failed with ENOENT on its rename and the folder mixed both runs. Now the second is refused.
import { afterAll, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
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

// A lock created with O_EXCL and then written was left empty by a run killed between the two,
// and refused every later run until removed by hand; now such a lock is taken over once it is
// a few seconds old (server-lock.ts: locks appear with their content, so it is an old version's).
test("a lock cut short by a killed run is taken over once it is a few seconds old", async () => {
  const out = join(root, "cut-short");
  mkdirSync(out, { recursive: true });
  const path = join(out, TRAIN_OUTPUTS_LOCK);
  writeFileSync(path, "");
  const old = new Date(Date.now() - 10_000);
  utimesSync(path, old, old);
  const lock = await beginTrainOutputs(out, names);
  expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
  await lock.release();
  expect(existsSync(path)).toBe(false);
});

/** A folder whose lock a killed run left (a pid no process has: beyond Linux's pid_max). */
function deadHoldersFolder(name: string): string {
  const out = join(root, name);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, TRAIN_OUTPUTS_LOCK),
    JSON.stringify({ pid: 2 ** 22 + 1, host: hostname() }),
  );
  return out;
}

// Runs that found the same dead holder each removed "its" lock and created their own: a later
// one removed a fresh lock another run had just taken, and both went on writing the folder.
test("runs racing for a dead holder's lock: one takes it, the others are refused", async () => {
  const out = deadHoldersFolder("race");
  const runs = await Promise.allSettled([1, 2, 3, 4].map(() => beginTrainOutputs(out, names)));
  const taken = runs.filter((run) => run.status === "fulfilled");
  expect(taken.length).toBe(1);
  for (const run of runs) {
    if (run.status === "rejected") expect(run.reason).toBeInstanceOf(TrainOutputsBusyError);
  }
  await (taken[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
});

// The same with real processes: four `bun` processes start together on a folder whose lock a
// killed run left; each that takes the lock holds it for a second, recording when. No two hold
// it at once (a process started after another's release may take it too).
test("four processes racing for a dead holder's lock: never two holders at once", async () => {
  const out = deadHoldersFolder("race-processes");
  const held = join(out, "held.txt");
  const script = `
    const { beginTrainOutputs } = await import(${JSON.stringify(join(import.meta.dir, "train-outputs.ts"))});
    const { appendFileSync } = await import("node:fs");
    try {
      const lock = await beginTrainOutputs(${JSON.stringify(out)}, ["model.json"]);
      const from = Date.now();
      await Bun.sleep(1000);
      appendFileSync(${JSON.stringify(held)}, from + "," + Date.now() + "\\n");
      await lock.release();
      console.log("took");
    } catch (error) {
      console.log(error.name);
    }`;
  const procs = [1, 2, 3, 4].map(() =>
    Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" }),
  );
  const said = (await Promise.all(procs.map((p) => new Response(p.stdout).text()))).map((s) =>
    s.trim(),
  );
  expect(said.every((line) => line === "took" || line === "TrainOutputsBusyError")).toBe(true);
  const spans = readFileSync(held, "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(",").map(Number) as [number, number])
    .sort((a, b) => a[0] - b[0]);
  expect(spans.length).toBe(said.filter((line) => line === "took").length);
  for (let i = 1; i < spans.length; i++) {
    expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  }
  expect(existsSync(join(out, TRAIN_OUTPUTS_LOCK))).toBe(false);
}, 60_000);
