// The Workers build step (`scripts/export-bundle.ts`, run by wrangler's [build]) bundles exactly
// the registry's production version at build time, so the bundled model cannot go stale: after a
// promotion the next build carries the new version. `--from` refuses a corrupt bundle.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { promoteNewDemoVersion } from "../src/testing/demo-registry.ts";

const script = join(import.meta.dirname, "export-bundle.ts");
let db: TestDatabase;
let scratch: string;
let registry: ModelRegistry;
let env: Record<string, string>;

function exportTo(out: string, extra: string[] = []) {
  const run = spawnSync(process.execPath, [script, "--out", out, ...extra], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const identityIn = (dir: string) =>
  (
    JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8")) as {
      identity: { version: number; artifactSha256: string };
    }
  ).identity;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  scratch = mkdtempSync(join(tmpdir(), "pp-export-"));
  registry = new ModelRegistry(db.handle.db, new FileArtifactStore(join(scratch, "artifacts")));
  env = {
    DATABASE_URL: db.options.databaseUrl as string,
    ARTIFACT_STORE_URI: join(scratch, "artifacts"),
  };
  await ensureDemoModel({ registry, modelName: "purchase", customers: 400, seed: 5 });
}, 120_000);

afterAll(async () => {
  await db?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the Workers build step", () => {
  test("bundles the production version, and the newly promoted one after a promotion", async () => {
    const out = join(scratch, "worker-model");
    expect(exportTo(out).status).toBe(0);
    const v1 = await registry.getProductionVersion("purchase");
    expect(identityIn(out)).toMatchObject({ version: 1, artifactSha256: v1?.artifactSha256 });
    expect(readFileSync(join(out, "index.js"), "utf8")).toContain('"bundle.json": f0');

    await promoteNewDemoVersion(registry, {
      name: "purchase",
      customers: 400,
      seed: 7,
      source: "v2",
    });
    expect(exportTo(out).status).toBe(0);
    const v2 = await registry.getProductionVersion("purchase");
    expect(identityIn(out)).toMatchObject({ version: 2, artifactSha256: v2?.artifactSha256 });
  }, 120_000);

  test("--from copies a verified bundle and refuses a corrupt one, naming the file", () => {
    const good = join(scratch, "worker-model");
    const copy = join(scratch, "copy");
    expect(exportTo(copy, ["--from", good]).status).toBe(0);
    expect(readFileSync(join(copy, "model.json"))).toEqual(readFileSync(join(good, "model.json")));
    const bytes = readFileSync(join(good, "model.json"));
    bytes[5] = (bytes[5] as number) ^ 1;
    writeFileSync(join(good, "model.json"), bytes);
    const bad = exportTo(join(scratch, "bad"), ["--from", good]);
    expect(bad.status).toBe(1);
    expect(bad.output).toContain("checksum mismatch for model.json");
  });
});
