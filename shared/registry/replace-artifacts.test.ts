// ModelRegistry.rewriteArtifacts (ml forget's rewrite of a version's files) never overwrites a
// file a row names; what a killed rewrite leaves is unreferenced, and dropReplacedArtifacts and
// ml gc delete it. The kills themselves, with real processes: ml/cli/forget-reports-crash.test.ts.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import type { DatabaseDriver } from "../db/database.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { planArtifactGc } from "./artifact-gc.ts";
import { ModelRegistry, type ModelVersionInfo } from "./model-registry.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe.each(testDrivers())("%s", (driver: DatabaseDriver) => {
  let t: TestDatabase;
  let dir: string;
  let store: FileArtifactStore;
  let registry: ModelRegistry;
  let v1: ModelVersionInfo;
  beforeEach(async () => {
    t = await openTestDatabase(driver);
    dir = mkdtempSync(join(tmpdir(), "pp-replace-artifacts-"));
    store = new FileArtifactStore(dir);
    registry = new ModelRegistry(t.handle.db, store);
    v1 = await registry.registerVersion("m", {
      artifacts: [
        { name: "model.json", bytes: text("{}") },
        { name: "metrics.json", bytes: text('{"id":"old"}') },
      ],
      params: {},
      metrics: {},
      dataWindow: { calibrationEnd: "1997-09-30" },
      timeUnit: "week",
      trainedAt: "2026-11-30T00:00:00Z",
    });
  });
  afterEach(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const current = async () => (await registry.getVersion("m", 1)) as ModelVersionInfo;
  const replace = (version: ModelVersionInfo, json: string) =>
    registry.rewriteArtifacts(version, async () => [{ name: "metrics.json", bytes: text(json) }]);

  test("the new files go under new keys, the row follows them, the replaced ones are deleted", async () => {
    const before = await store.list("models/");
    await replace(v1, '{"id":"new"}');
    const now = await current();
    expect(now.artifactUri).toMatch(/\/models\/m\/[0-9a-f-]{36}\/rev-[0-9a-f-]{36}$/);
    await registry.verifyVersion(now);
    expect(new TextDecoder().decode(await registry.loadArtifact(now, "metrics.json"))).toBe(
      '{"id":"new"}',
    );
    const after = await store.list("models/");
    // model.json stays where it was; the old metrics.json and manifest are gone.
    expect(after.filter((k) => before.includes(k))).toEqual(
      before.filter((k) => k.endsWith("/model.json")),
    );
    expect(after).toHaveLength(3);
    // A second rewrite goes to another revision inside the same registration prefix.
    await replace(now, '{"id":"x"}');
    await registry.verifyVersion(await current());
    expect(await store.list("models/")).toHaveLength(3);
    expect((await planArtifactGc(registry, { minAgeMs: 0 })).orphans).toEqual([]);
  });

  test("killed after the row's switch, before the deletes: the leftovers name nothing and are dropped next time", async () => {
    const oldMetrics = store.keyFor(v1.artifacts.find((a) => a.name === "metrics.json")!.uri);
    const oldManifest = store.keyFor(`${v1.artifactUri}/manifest.json`);
    const kept = [await store.get(oldMetrics), await store.get(oldManifest)] as const;
    await replace(v1, '{"id":"new"}');
    // What a kill before the deletes leaves: the replaced files, unreferenced.
    await store.put(oldMetrics, kept[0]);
    await store.put(oldManifest, kept[1]);
    await registry.verifyVersion(await current());
    // ml gc keeps the version's prefix (it is referenced, through its revision) but lists the
    // replaced files as a stale revision of it: it used to keep them too, naming the customer.
    const { orphans } = await planArtifactGc(registry, { minAgeMs: 0 });
    expect(orphans.map((o) => [o.kind, o.objects.map((x) => x.key).sort()])).toEqual([
      ["stale revision", [oldManifest, oldMetrics].sort()],
    ]);
    expect(await registry.dropReplacedArtifacts(await current())).toBe(2);
    expect(await store.exists(oldMetrics)).toBe(false);
    expect(await store.exists(oldManifest)).toBe(false);
    await registry.verifyVersion(await current());
    expect(await registry.dropReplacedArtifacts(await current())).toBe(0);
  });
});
