// The registry model source for Bun/Node/Deno: the database and artifact store from the
// environment, migrations applied; the service only reads the registry (the demo model is seeded
// by a start-up step, ml/pipelines/seed-demo-model.ts, outside the serving path). On PostgreSQL
// it LISTENs for promotions (migration 0004's trigger), so a promoted version is served at once;
// on the embedded store, which offers no LISTEN, it reads the production key every 250 ms.

import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import {
  createDatabase,
  type DatabaseHandle,
  databaseOptionsFromEnv,
} from "@pp/shared/db/client.ts";
import type { NotificationListener } from "@pp/shared/db/notification-listener.ts";
import { outwardDriverMessage } from "@pp/shared/errors/driver-message.ts";
import { failureLog } from "@pp/shared/logging/failure-log.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { pollTrackingMetrics } from "@pp/shared/metrics/tracking-metrics.ts";
import { MODEL_PRODUCTION_CHANNEL, ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import type { ForecastConfig } from "../config.ts";
import type { GbdtEngine } from "../model/gbdt-engine.ts";
import { type KeyWatch, watchKey } from "../model/key-watch.ts";
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
  let opened: OpenedRegistry | null = null;
  let preparing: Promise<OpenedRegistry> | null = null;
  let keyWatch: KeyWatch | null = null;
  let onChange: (() => void) | null = null;
  const dbOptions = databaseOptionsFromEnv(env);
  // What /ready (open to anyone) says: the driver, not the directory (the log line has it).
  const driver = dbOptions.databaseUrl ? "postgres (DATABASE_URL)" : "pglite (DATA_DIR)";
  const opening = { config, env, dbOptions, logger, engine, metrics };
  // Retried on the next poll when it fails (e.g. the database is not up yet).
  const prepare = () => {
    preparing ??= openRegistry(opening, () => onChange?.()).then(
      (registry) => {
        opened = registry;
        return registry;
      },
      (error) => {
        preparing = null;
        throw error;
      },
    );
    return preparing;
  };
  const ready = async (): Promise<ModelSource> => {
    try {
      return (await prepare()).inner;
    } catch (cause) {
      const message = `registry not available: ${outwardDriverMessage(cause)}`;
      throw new ModelLoadError("unavailable", message, { cause });
    }
  };
  return {
    source: {
      get description() {
        const described = opened?.inner.description ?? `registry (${driver})`;
        return opened?.listener?.listening ? `${described}, promotions pushed (LISTEN)` : described;
      },
      currentKey: async () => (await ready()).currentKey(),
      load: async () => (await ready()).load(),
      watch(callback) {
        onChange = callback;
        // No push without LISTEN (the embedded store): read the key, once the registry is open.
        if (!dbOptions.databaseUrl) {
          keyWatch ??= watchKey(async () => (opened ? opened.inner.currentKey() : null), callback);
        }
      },
    },
    prepare: async () => {
      await ready();
    },
    close: async () => {
      keyWatch?.stop();
      await opened?.close();
    },
  };
}

/** The registry once opened: the source reading it, its LISTEN (PostgreSQL) and how to close it. */
interface OpenedRegistry {
  inner: ModelSource;
  listener: NotificationListener | null;
  close: () => Promise<void>;
}

/** Opens the database (migrated), the artifact store and the registry source on them. */
async function openRegistry(
  o: {
    config: ForecastConfig;
    env: Record<string, string | undefined>;
    dbOptions: ReturnType<typeof databaseOptionsFromEnv>;
    logger: Logger;
    engine: GbdtEngine;
    metrics: MetricsRegistry | undefined;
  },
  onPromotion: () => void,
): Promise<OpenedRegistry> {
  const where = o.dbOptions.databaseUrl
    ? "postgres (DATABASE_URL)"
    : `pglite in ${o.dbOptions.dataDir}`;
  o.logger.info("opening the model registry", { database: where });
  const handle = await openMigrated(o.dbOptions, o.logger);
  // After the migrations: on a fresh database the tracking table exists only now.
  const tracking = o.metrics ? pollTracking(handle, o.config, o.metrics, o.logger) : null;
  const close = () => {
    tracking?.stop();
    return handle.close();
  };
  try {
    const store = openArtifactStore(artifactStoreLocationFromEnv(o.env), o.env);
    const inner = registryModelSource({
      registry: new ModelRegistry(handle.db, store),
      db: handle.db,
      modelName: o.config.MODEL_NAME,
      engine: o.engine,
      driver: handle.driver,
    });
    const listener = listenForPromotions(handle, o.config.MODEL_NAME, o.logger, onPromotion);
    return { inner, listener, close };
  } catch (error) {
    // Retried at the next poll with a new handle: this one must not stay open meanwhile.
    await close().catch(() => {});
    throw error;
  }
}

/** A database handle with the migrations applied (closed again when they fail). */
async function openMigrated(
  dbOptions: ReturnType<typeof databaseOptionsFromEnv>,
  logger: Logger,
): Promise<DatabaseHandle> {
  const handle = await createDatabase(dbOptions);
  try {
    await handle.migrate();
  } catch (error) {
    // Retried at the next poll with a new handle: this one must not stay open meanwhile.
    await handle.close().catch(() => {});
    throw error;
  }
  logger.info("database migrated", { driver: handle.driver });
  return handle;
}

/** Production accuracy from `ml track` (forecast_realized_*), re-read at the poll interval. */
function pollTracking(
  handle: DatabaseHandle,
  config: ForecastConfig,
  metrics: MetricsRegistry,
  logger: Logger,
) {
  // One line per distinct failure and one when it is over: the same failure at every poll wrote
  // a line of about 1 KB (the query and its parameters) for the whole of an outage.
  const log = failureLog(logger, "tracking metrics not read", "tracking metrics read again");
  return pollTrackingMetrics({
    db: handle.db,
    metrics,
    modelName: config.MODEL_NAME,
    intervalMs: config.MODEL_POLL_INTERVAL_MS,
    onError: (error) => log.failed(error),
    onRead: () => log.ok(),
  });
}

/** LISTENs for production changes of `modelName` (PostgreSQL only; null on the embedded store). */
function listenForPromotions(
  handle: DatabaseHandle,
  modelName: string,
  logger: Logger,
  onChange: () => void,
): NotificationListener | null {
  if (!handle.listen) return null;
  let lost = false;
  return handle.listen(MODEL_PRODUCTION_CHANNEL, {
    // An empty payload is a model whose name is too long for one: it may be ours.
    onNotify: (name) => {
      if (name === modelName || name === "") onChange();
    },
    onListen: () => {
      logger.info("listening for promotions", { channel: MODEL_PRODUCTION_CHANNEL, again: lost });
      lost = false;
      onChange();
    },
    onError: (error) => {
      if (!lost)
        logger.warn("promotion listener lost; polling until it is back", { error: String(error) });
      lost = true;
    },
  });
}
