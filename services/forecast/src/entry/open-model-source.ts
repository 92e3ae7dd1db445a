// Start-up for Bun, Node and Deno: the model source named by MODEL_SOURCE, with the GBDT engine
// named by GBDT_ENGINE. For the registry it opens the database (PGlite in DATA_DIR unless
// DATABASE_URL) and applies migrations; a start-up step outside the service seeds the demo model
// (ml/pipelines/seed-demo-model.ts). Uses Node APIs (files); the Workers entries have their own.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { databaseOptionsFromEnv } from "@pp/shared/db/client.ts";
import { refuseUnusableStoreDir } from "@pp/shared/db/embedded/data-dir-problem.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { ForecastConfig } from "../config.ts";
import type { GbdtEngine } from "../model/gbdt-engine.ts";
import type { ModelSource } from "../model/model-holder.ts";
import { bundleModelSource, urlReader } from "../model/model-sources.ts";

export async function gbdtEngineFor(config: ForecastConfig): Promise<GbdtEngine> {
  if (config.GBDT_ENGINE === "typescript") {
    return (await import("../model/typescript-engine.ts")).typescriptEngine;
  }
  return (await import("../model/ort-engine.ts")).ortEngine;
}

/**
 * `config` once the registry's embedded store (MODEL_SOURCE registry, no DATABASE_URL) can be
 * opened in DATA_DIR: else a ConfigError naming it, which the entries print and exit 1 with. A
 * file there left the service up, "model load failed; not ready … EEXIST", /ready 503 for good.
 */
export function withUsableStore(
  config: ForecastConfig,
  env: Record<string, string | undefined>,
): ForecastConfig {
  if (config.MODEL_SOURCE.kind !== "registry") return config;
  const { dataDir } = databaseOptionsFromEnv(env);
  if (dataDir) refuseUnusableStoreDir("DATA_DIR", dataDir);
  return config;
}

/** The source, and a function that prepares it (slow: database, demo model) before the first load. */
export async function openModelSource(
  config: ForecastConfig,
  env: Record<string, string | undefined>,
  logger: Logger,
  /** With the registry: the service's metrics, for the `ml track` accuracy gauges. */
  metrics?: MetricsRegistry,
): Promise<{ source: ModelSource; prepare: () => Promise<void>; close: () => Promise<void> }> {
  const engine = await gbdtEngineFor(config);
  const spec = config.MODEL_SOURCE;
  const none = async () => {};
  switch (spec.kind) {
    case "bundle": {
      const dir = resolve(spec.dir);
      const read = async (name: string) => new Uint8Array(await readFile(join(dir, name)));
      return {
        source: bundleModelSource({ read, description: `bundle:${dir}`, engine }),
        prepare: none,
        close: none,
      };
    }
    case "url":
      return {
        source: bundleModelSource({
          read: urlReader(spec.url),
          description: `url:${spec.url}`,
          engine,
        }),
        prepare: none,
        close: none,
      };
    case "bundled":
    case "r2":
      throw new Error(
        `MODEL_SOURCE=${spec.kind} is for the Workers builds; use "registry" or "bundle:<dir>"`,
      );
    case "registry": {
      // Imported lazily: bundle and URL sources never load the database drivers.
      const { openRegistrySource } = await import("./open-registry-source.ts");
      return openRegistrySource(config, env, logger, engine, metrics);
    }
  }
}
