// The registry model source for Bun/Node/Deno: the database and artifact store from the
// environment, migrations applied; the service only reads the registry (the demo model is seeded
// by a start-up step, ml/pipelines/seed-demo-model.ts, outside the serving path).

import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import { createDatabase, databaseOptionsFromEnv } from "@pp/shared/db/client.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { pollTrackingMetrics } from "@pp/shared/metrics/tracking-metrics.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import type { ForecastConfig } from "../config.ts";
import type { GbdtEngine } from "../model/gbdt-engine.ts";
import type { ModelSource } from "../model/model-holder.ts";
import { ModelLoadError } from "../model/model-load-error.ts";
import { registryModelSource } from "../model/model-sources.ts";

export async function openRegistrySource(
  config: ForecastConfig,
  env: Record<string, string | undefined>,
  logger: Logger,
  engine: GbdtEngine,
  metrics?: MetricsRegistry,
): Promise<{ source: ModelSource; prepare: () => Promise<void>; close: () => Promise<void> }> {
  let inner: ModelSource | null = null;
  let closeDb = async () => {};
  let preparing: Promise<void> | null = null;
  const dbOptions = databaseOptionsFromEnv(env);
  const where = dbOptions.databaseUrl
    ? "postgres (DATABASE_URL)"
    : `pglite in ${dbOptions.dataDir}`;

  const prepareOnce = async () => {
    logger.info("opening the model registry", { database: where });
    const handle = await createDatabase(dbOptions);
    closeDb = () => handle.close();
    await handle.migrate();
    logger.info("database migrated", { driver: handle.driver });
    // After the migrations: on a fresh database the tracking table exists only now.
    if (metrics) {
      // Production accuracy from `ml track` (forecast_realized_*), re-read at the poll interval.
      const tracking = pollTrackingMetrics({
        db: handle.db,
        metrics,
        modelName: config.MODEL_NAME,
        intervalMs: config.MODEL_POLL_INTERVAL_MS,
        onError: (error) => logger.warn("tracking metrics not read", { error: String(error) }),
      });
      closeDb = () => {
        tracking.stop();
        return handle.close();
      };
    }
    const store = openArtifactStore(artifactStoreLocationFromEnv(env), env);
    const registry = new ModelRegistry(handle.db, store);
    inner = registryModelSource({
      registry,
      db: handle.db,
      modelName: config.MODEL_NAME,
      engine,
      driver: handle.driver,
    });
  };
  // Retried on the next poll when it fails (e.g. the database is not up yet).
  const prepare = () => {
    preparing ??= prepareOnce().catch((error) => {
      preparing = null;
      throw error;
    });
    return preparing;
  };
  const ready = async (): Promise<ModelSource> => {
    try {
      await prepare();
    } catch (cause) {
      throw new ModelLoadError("unavailable", `registry not available: ${String(cause)}`, {
        cause,
      });
    }
    return inner as ModelSource;
  };
  return {
    source: {
      get description() {
        return inner?.description ?? `registry (${where})`;
      },
      currentKey: async () => (await ready()).currentKey(),
      load: async () => (await ready()).load(),
    },
    prepare: async () => {
      await ready();
    },
    close: () => closeDb(),
  };
}
