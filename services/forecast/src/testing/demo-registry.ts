// Test support: a throwaway registry (PGlite + file artifact store in a temp dir) holding a small
// demo model in production (opening PGlite is slow: share one per test file), and a newly
// trained demo version promoted into a registry, for the tests of what follows a promotion.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle } from "@pp/ml/pipelines/build-bundle.ts";
import { ensureDemoModel, trainSimulatedDemo } from "@pp/ml/pipelines/demo-model.ts";
import { registerBundle } from "@pp/ml/pipelines/register-bundle.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";

export interface DemoRegistry {
  dir: string;
  handle: DatabaseHandle;
  registry: ModelRegistry;
  modelName: string;
  close(): Promise<void>;
}

export async function openDemoRegistry(
  options: { customers?: number; seed?: number; modelName?: string } = {},
): Promise<DemoRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "pp-forecast-test-"));
  const handle = await createDatabase({ dataDir: dir });
  await handle.migrate();
  const registry = new ModelRegistry(handle.db, new FileArtifactStore(join(dir, "artifacts")));
  const modelName = options.modelName ?? "purchase";
  await ensureDemoModel({
    registry,
    modelName,
    customers: options.customers ?? 600,
    seed: options.seed ?? 7,
  });
  return {
    dir,
    handle,
    registry,
    modelName,
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Trains a demo model on another simulated population and registers it as `name`'s production version. */
export async function promoteNewDemoVersion(
  registry: ModelRegistry,
  options: { name: string; customers: number; seed: number; source: string },
): Promise<void> {
  const promote = await trainNewDemoVersion(options);
  await promote(registry);
}

/**
 * Trains a demo model on another simulated population, registering nothing yet: the function it
 * resolves to registers it as `name`'s production version (for a test that trains the next
 * version while a process under test is busy, and promotes it only once that process is done).
 */
export async function trainNewDemoVersion(options: {
  name: string;
  customers: number;
  seed: number;
  source: string;
}): Promise<(registry: ModelRegistry) => Promise<void>> {
  const { name, ...demo } = options;
  const { summaries, trained } = await trainSimulatedDemo(demo);
  return async (registry) => {
    const trainedAt = new Date();
    await registerBundle({
      registry,
      name,
      bundle: buildBundle(trained, { name, trainedAt, reportHtml: "<html></html>" }),
      trained,
      summaries,
      trainedAt,
      promote: true,
    });
  };
}
