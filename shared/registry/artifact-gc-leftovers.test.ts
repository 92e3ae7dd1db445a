// `ml gc` and what killed writes leave besides a registration's prefix: a file store's temporary
// file of a put killed (kill -9) while writing, and `ml train --register`'s store probe. Before,
// both were invisible to gc and stayed forever; now they are listed, kept while young, deleted
// with --delete, and the registered version's artifacts are untouched.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { runBun } from "../testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "../testing/test-databases.ts";
import { PREFLIGHT_PREFIX } from "./artifact-gc.ts";
import { ModelRegistry } from "./model-registry.ts";

setDefaultTimeout(120_000);
const ML_CLI = resolve(import.meta.dirname, "../../ml/cli.ts");
const STORE_MODULE = resolve(import.meta.dirname, "../artifacts/file-artifact-store.ts");
const scratch = mkdtempSync(join(tmpdir(), "pp-gc-leftovers-"));
let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
});
afterAll(async () => {
  await db?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** Every file under `dir`, as `/`-separated paths. */
const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));

/** A child puts 1 GiB into the store and is killed with SIGKILL once its temporary file exists. */
async function killMidPut(root: string, key: string): Promise<void> {
  const code = `const { FileArtifactStore } = await import(${JSON.stringify(STORE_MODULE)});
    await new FileArtifactStore(${JSON.stringify(root)}).put(${JSON.stringify(key)}, new Uint8Array(1 << 30).fill(7));`;
  const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", (c, signal) => r(signal ?? c)));
  const deadline = Date.now() + 30_000;
  while (!filesUnder(root).some((f) => f.includes(".tmp-")) && Date.now() < deadline) {
    await Bun.sleep(5);
  }
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
}

test("ml gc lists and deletes a killed put's temporary file and a left probe, nothing else", async () => {
  const root = join(scratch, "store");
  const store = new FileArtifactStore(root);
  const registry = new ModelRegistry(db.handle.db, store);
  const artifacts = [{ name: "model.onnx", bytes: new Uint8Array([1, 2, 3]) }];
  const kept = await registry.registerVersion("leftovers", {
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: "1997-09-30" },
    timeUnit: "week",
    trainedAt: new Date(),
    artifacts,
    promote: true,
  });
  const keptFiles = filesUnder(root);

  await killMidPut(root, "models/leftovers/killed/model.onnx");
  await store.put(`${PREFLIGHT_PREFIX}${crypto.randomUUID()}`, new TextEncoder().encode("probe\n"));
  const leftovers = filesUnder(root).filter((f) => !keptFiles.includes(f));
  expect(leftovers.length).toBe(2);
  expect(leftovers.filter((f) => f.includes(".tmp-")).length).toBe(1);
  // Neither is an object: readers never see them.
  expect(await store.list("models/leftovers/killed")).toEqual([]);

  const env = { ARTIFACT_STORE_URI: root, DATA_DIR: db.options.dataDir as string };
  const young = await runBun(ML_CLI, ["gc"], env);
  expect(young.status, young.stderr).toBe(0);
  expect(young.stdout).toContain("0 unreferenced prefixes");
  expect(young.stdout).toContain("2 younger than --min-age kept");

  // Two hours later (file times moved back), both are listed with what they are.
  const past = new Date(Date.now() - 2 * 3_600_000);
  for (const f of leftovers) utimesSync(join(root, f), past, past);
  const dry = await runBun(ML_CLI, ["gc"], env);
  expect(dry.status, dry.stderr).toBe(0);
  expect(dry.stdout).toContain("2 unreferenced prefixes");
  expect(dry.stdout).toContain("1 preflight probe, 1 unfinished write");
  expect(dry.stdout).toMatch(
    /models\/leftovers\/killed\/model\.onnx\.tmp-\S+\t1 objects\t\d+ bytes/,
  );
  expect(dry.stdout).toContain("(unfinished write)");
  expect(dry.stdout).toContain("(preflight probe)");
  expect(filesUnder(root).length).toBe(keptFiles.length + 2);

  const deleted = await runBun(ML_CLI, ["gc", "--delete"], env);
  expect(deleted.status, deleted.stderr).toBe(0);
  expect(deleted.stdout).toContain("deleted 2 objects in 2 prefixes");
  expect(filesUnder(root).sort()).toEqual(keptFiles.sort());
  await registry.verifyVersion(kept);
});
