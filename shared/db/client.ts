// Opens the metadata database: real PostgreSQL through postgres.js when a URL is given, otherwise an
// embedded PGlite database on disk. Both get the same schema and the same checked-in migrations.

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Database, DatabaseDriver } from "./database.ts";
import * as schema from "./schema.ts";

/** The checked-in drizzle-kit migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/** Any fixed number: the advisory lock that serialises concurrent migrations on one server. */
const MIGRATION_LOCK_ID = 7_310_112;

export interface DatabaseOptions {
  /** postgres:// URL; when absent an embedded PGlite database in `dataDir` is used. */
  databaseUrl?: string;
  /** Directory for the PGlite database (default `./.data`); the database lives in `<dataDir>/pglite`. */
  dataDir?: string;
  /** postgres.js pool size (default 10). */
  maxConnections?: number;
}

export interface DatabaseHandle {
  db: Database;
  driver: DatabaseDriver;
  /** Applies pending migrations; a no-op when all are applied. Safe to call concurrently. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the database described by `options` (see {@link DatabaseOptions}). */
export async function createDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.maxConnections ?? 10);
  return openPglite(resolve(options.dataDir ?? "./.data"));
}

/** Options from the environment: `DATABASE_URL`, else PGlite in `DATA_DIR` (default `./.data`). */
export function databaseOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): DatabaseOptions {
  const databaseUrl = env.DATABASE_URL?.trim();
  return databaseUrl ? { databaseUrl } : { dataDir: env.DATA_DIR?.trim() || "./.data" };
}

/** Seconds before reconnecting after the `retries`-th failed connection: postgres.js's default
 * grows to 20 s during an outage (so a service came back up to ~30 s after the database did);
 * capped at 0.5 s, a service is back within about half a second. */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 0.5);
}

function openPostgres(url: string, max: number): DatabaseHandle {
  const client = postgres(url, { max, onnotice: () => {}, backoff: reconnectBackoff });
  const db = drizzlePostgres(client, { schema }) as unknown as Database;
  return {
    db,
    driver: "postgres",
    async migrate() {
      // A dedicated single connection, so that the session-level advisory lock covers every
      // statement the migrator sends (two services starting at once must not race).
      const lockClient = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
        await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER });
        await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
      } finally {
        await lockClient.end();
      }
    },
    async close() {
      await client.end();
    },
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const dir = join(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const pgliteDb = drizzlePglite(client, { schema });
  // PGlite is one connection in this process: serialise migrate() calls on the handle.
  let migrating: Promise<void> = Promise.resolve();
  return {
    db: pgliteDb as unknown as Database,
    driver: "pglite",
    migrate() {
      migrating = migrating.then(() =>
        migratePglite(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER }),
      );
      return migrating;
    },
    async close() {
      await migrating.catch(() => {});
      await client.close();
    },
  };
}
