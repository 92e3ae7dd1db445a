// The stores a kill -9 test runs an operator CLI against, removed after the test: a PostgreSQL
// database with pause triggers, or an embedded store hosted by a service (the test another
// client of its host).
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import type { Cleanups } from "./cleanups.ts";
import { type PauseSpec, StatementPause } from "./pg-pause.ts";
import type { ServiceProcess } from "./service-processes.ts";

/** A kill test's store (the test reads it), the service on it, and the CLI's environment. */
export interface KillSetup {
  db: DatabaseHandle;
  service: ServiceProcess;
  env: Record<string, string>;
}

/** A PostgreSQL test database with the pause triggers of `spec`; its DATABASE_URL as `env`. */
export async function pausablePostgres(
  cleanups: Cleanups,
  spec: PauseSpec,
): Promise<{ pg: TestDatabase; env: { DATABASE_URL: string }; pause: StatementPause }> {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const env = { DATABASE_URL: pg.options.databaseUrl as string };
  const pause = await StatementPause.install(env.DATABASE_URL, spec);
  cleanups.push(() => pause.end());
  return { pg, env, pause };
}

/** The test's own client of the embedded store in `dataDir` (hosted by a running service). */
export async function storeClient(cleanups: Cleanups, dataDir: string): Promise<DatabaseHandle> {
  const db = await createDatabase({ dataDir });
  cleanups.push(() => db.close());
  return db;
}

/** An embedded store made in `dataDir` and filled by `seed`, closed before a service hosts it. */
export async function seededStore(
  dataDir: string,
  seed: (db: DatabaseHandle) => Promise<unknown>,
): Promise<void> {
  const store = await createDatabase({ dataDir });
  await store.migrate();
  await seed(store);
  await store.close();
}
