// `ml publish --follow` on the embedded default (no DATABASE_URL): the follower is a second process
// on the DATA_DIR this test process serves. The embedded store has no LISTEN, so it polls: a new
// production version is published within its interval; killed with SIGKILL and started again, it
// finds the Workers up to date and publishes nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { promoteNewDemoVersion } from "../src/testing/demo-registry.ts";
import { inspectLocalState } from "../src/testing/local-workers-state.ts";
import { publishProcesses } from "../src/testing/publish-processes.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-follow-embedded-"));
const dataDir = join(scratch, "data");
const artifacts = join(scratch, "artifacts");
const persist = join(scratch, "state");
const processes = publishProcesses(persist, () => ({
  DATABASE_URL: "",
  DATA_DIR: dataDir,
  ARTIFACT_STORE_URI: artifacts,
}));
let handle: DatabaseHandle;
let registry: ModelRegistry;

beforeAll(async () => {
  handle = await createDatabase({ dataDir }); // this process serves the embedded database
  await handle.migrate();
  registry = new ModelRegistry(handle.db, new FileArtifactStore(artifacts));
  await ensureDemoModel({ registry, modelName: "purchase", customers: 400, seed: 5 });
}, 120_000);

afterAll(async () => {
  processes.crashAll();
  await handle?.close();
  rmSync(scratch, { recursive: true, force: true });
}, 30_000);

test("the embedded store: polled, a promotion is published; restarted up to date, nothing is", async () => {
  let follower = processes.startFollower();
  await follower.waitFor(/following production \(pglite, every 1000 ms\)$/);
  await follower.waitFor(/published v1/);
  expect((await inspectLocalState(persist, "purchase")).loaded).toMatchObject({ version: 1 });

  const from = follower.lines.length;
  await promoteNewDemoVersion(registry, {
    name: "purchase",
    customers: 300,
    seed: 7,
    source: "second version",
  });
  await follower.waitFor(/published v2/, from);
  expect((await inspectLocalState(persist, "purchase")).loaded).toMatchObject({ version: 2 });

  follower.crash();
  await follower.exited;
  follower = processes.startFollower();
  await follower.waitFor(/the Workers serve v2 as it is in the registry/);
  follower.child.kill("SIGTERM");
  expect(await follower.exited).toBe(0);
  expect(follower.lines.filter((line) => /publishing/.test(line))).toEqual([]);
}, 180_000);
