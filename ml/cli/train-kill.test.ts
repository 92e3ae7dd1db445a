// `ml train --out` killed with SIGKILL while it writes, as a real process: every output left in the
// folder is whole (JSON parses, the CSV has every row and its final newline, ONNX loads), and the
// completion marker (train-outputs.json) is absent, so readTrainOutputs refuses a folder mixing the
// killed run's files with an earlier run's. Writes into --out are slowed (slow-writes-preload.ts)
// so the kill lands mid-file; before atomic writes the first file showed up empty.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FEATURE_COUNT } from "../features/feature-vector.ts";
import { createOrtTreeEnsembleSession } from "../onnx/ort-session.ts";
import {
  IncompleteTrainOutputsError,
  readTrainOutputs,
  TRAIN_OUTPUTS_FILE,
  TRAIN_OUTPUTS_LOCK,
} from "../pipelines/train-outputs.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-train-kill-"));
const data = join(dir, "sim.csv");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const preload = join(root, "ml/testing/slow-writes-preload.ts");
const trainArgs = (out: string, seed: string) => [
  ...["ml/cli.ts", "train", "--data", data, "--calibration-end", "1997-09-30"],
  ...["--holdout-end", "1998-06-30", "--fast", "--folds", "2", "--no-count-bag"],
  ...["--seed", seed, "--out", out],
];
const env = { ...process.env, DATA_DIR: join(dir, "data"), DATABASE_URL: "", ML_WORKERS: "0" };

/** `ml train` to the end (writes not slowed). */
function trainFully(out: string, seed = "1"): void {
  const run = Bun.spawnSync([process.execPath, ...trainArgs(out, seed)], { cwd: root, env });
  if (run.exitCode !== 0) throw new Error(`ml train failed: ${run.stderr.toString()}`);
}

/** A file that is not an output: a temporary one, or the lock a killed run leaves. */
const isTemporary = (name: string) => name.includes(".tmp-") || name.startsWith(TRAIN_OUTPUTS_LOCK);

/**
 * Starts `ml train` with writes into `out` slowed, and kills it with SIGKILL as soon as `when`
 * holds for the folder's entries; returns the entries then. Fails if the run ended first.
 */
async function trainKilled(out: string, when: (entries: string[]) => boolean, seed = "2") {
  const child = Bun.spawn([process.execPath, "--preload", preload, ...trainArgs(out, seed)], {
    cwd: root,
    env: { ...env, PP_SLOW_WRITE_DIR: out, PP_SLOW_WRITE_MS: "100" },
    stdout: "ignore",
    stderr: "pipe",
  });
  let entries: string[] = [];
  while (child.exitCode === null) {
    entries = existsSync(out) ? readdirSync(out) : [];
    if (when(entries)) break;
    await Bun.sleep(5);
  }
  child.kill("SIGKILL");
  await child.exited;
  expect(child.signalCode).toBe("SIGKILL"); // killed, not finished
  return entries;
}

let expected: { files: string[]; csvLines: number };

/** Checks every output present is whole; returns how many there are. */
async function checkWhole(out: string): Promise<number> {
  const outputs = readdirSync(out).filter((name) => !isTemporary(name));
  for (const name of outputs) {
    const bytes = readFileSync(join(out, name));
    const text = bytes.toString("utf8");
    if (name.endsWith(".json")) expect(() => JSON.parse(text), name).not.toThrow();
    if (name.endsWith(".csv")) {
      expect(text.endsWith("\n"), `${name} ends in a newline`).toBe(true);
      expect(text.split("\n").length - 1, `${name}'s lines`).toBe(expected.csvLines);
    }
    if (name.endsWith(".html")) expect(text.trimEnd().endsWith("</html>"), name).toBe(true);
    if (name.endsWith(".onnx")) {
      const session = await createOrtTreeEnsembleSession(new Uint8Array(bytes), FEATURE_COUNT);
      await session.release();
    }
  }
  for (const name of outputs) expect(expected.files).toContain(name);
  return outputs.length;
}

beforeAll(() => {
  const sim = Bun.spawnSync(
    [
      process.execPath,
      "ml/cli.ts",
      "simulate",
      "--customers",
      "3000",
      "--seed",
      "5",
      "--out",
      data,
    ],
    { cwd: root, env },
  );
  if (sim.exitCode !== 0) throw new Error(`ml simulate failed: ${sim.stderr.toString()}`);
  // A finished run: the files a run writes and the CSV's length.
  const reference = join(dir, "reference");
  trainFully(reference);
  const csv = readFileSync(join(reference, "holdout-predictions.csv"), "utf8");
  expected = { files: readdirSync(reference).sort(), csvLines: csv.split("\n").length - 1 };
});

test("a finished run's folder: every file whole, listed in the marker, nothing temporary", async () => {
  const reference = join(dir, "reference");
  expect(expected.files).toContain(TRAIN_OUTPUTS_FILE);
  expect(expected.files.filter(isTemporary)).toEqual([]);
  expect(await checkWhole(reference)).toBe(expected.files.length);
  const files = await readTrainOutputs(reference);
  expect([...files.keys(), TRAIN_OUTPUTS_FILE].sort()).toEqual(expected.files);
});

test("killed once the first output shows up: what is there is whole, no marker", async () => {
  const out = join(dir, "first");
  await trainKilled(out, (entries) => entries.some((name) => !isTemporary(name)));
  const count = await checkWhole(out);
  console.log(`killed at the first output: ${count} whole outputs`);
  expect(count).toBeGreaterThanOrEqual(1);
  expect(existsSync(join(out, TRAIN_OUTPUTS_FILE))).toBe(false);
  await expect(readTrainOutputs(out)).rejects.toBeInstanceOf(IncompleteTrainOutputsError);
});

test("killed while the holdout CSV is written: the bundle whole, no CSV half, no marker", async () => {
  const out = join(dir, "midway");
  const entries = await trainKilled(out, (names) =>
    names.some((name) => name.startsWith("holdout-predictions.csv")),
  );
  const count = await checkWhole(out);
  console.log(`killed mid-way (${entries.join(", ")}): ${count} whole outputs`);
  expect(count).toBeGreaterThanOrEqual(expected.files.length - 2); // less the CSV and the marker
  expect(existsSync(join(out, TRAIN_OUTPUTS_FILE))).toBe(false);
});

test("an earlier run's folder, a new run killed halfway, then one to the end", async () => {
  const out = join(dir, "again");
  trainFully(out, "1");
  expect((await readTrainOutputs(out)).size).toBe(expected.files.length - 1);
  // Killed once the new run has replaced model.json (its trained_at differs): a mix of runs.
  const before = readFileSync(join(out, "model.json"), "utf8");
  await trainKilled(out, () => {
    try {
      return readFileSync(join(out, "model.json"), "utf8") !== before;
    } catch {
      return false;
    }
  });
  await checkWhole(out);
  await expect(readTrainOutputs(out)).rejects.toThrow(`no ${TRAIN_OUTPUTS_FILE}`);
  trainFully(out, "3");
  expect((await readTrainOutputs(out)).size).toBe(expected.files.length - 1);
  // The killed run's temporary files are gone too.
  expect(readdirSync(out).sort()).toEqual(expected.files);
});
