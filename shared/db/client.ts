// Opens the metadata database through postgres.js: a real PostgreSQL server when a URL is given,
// otherwise the embedded PGlite database of a data directory, which one process serves over the
// wire protocol to all others (see embedded/embedded-host.ts). Same schema, same migrations.

import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { postgresUrlProblem } from "../config/parse-env.ts";
import { shownValue } from "../config/shown-value.ts";
import type { Database, DatabaseDriver } from "./database.ts";
import { dataDirFromEnv, decisionStoreDir } from "./decision-store-dir.ts";
import { embeddedSocket, releaseEmbedded, retainEmbedded } from "./embedded/embedded-host.ts";
import { namingMigration } from "./migration-failure.ts";
import { MIGRATIONS_FOLDER } from "./migrations-folder.ts";
import { refuseNewerSchema } from "./newer-schema.ts";
import {
  listenForNotifications,
  type NotificationHandlers,
  type NotificationListener,
} from "./notification-listener.ts";
import { holdPostgresUrl } from "./open-postgres-urls.ts";
import * as schema from "./schema.ts";

export { MIGRATIONS_FOLDER };

/** Any fixed number: the advisory lock that serialises concurrent migrations on one server. */
const MIGRATION_LOCK_ID = 7_310_112;

export interface DatabaseOptions {
  /** postgres:// URL; when absent an embedded PGlite database in `dataDir` is used. */
  databaseUrl?: string;
  /**
   * Directory of the embedded database (default `./.data`): PGlite files in `<dataDir>/pglite`,
   * served by one process to all (its pid and port in `<dataDir>/pglite.lock`).
   */
  dataDir?: string;
  /** postgres.js pool size (default 10). */
  maxConnections?: number;
}

export interface DatabaseHandle {
  db: Database;
  driver: DatabaseDriver;
  /** Applies pending migrations; a no-op when all are applied. Safe to call concurrently. */
  migrate(): Promise<void>;
  /**
   * LISTENs on a channel over a connection of its own, re-listening after drops (see
   * notification-listener.ts). PostgreSQL only: the embedded server is one PGlite session shared
   * by every client, so it does not offer LISTEN and this is undefined there.
   */
  listen?: (channel: string, handlers: NotificationHandlers) => NotificationListener;
  close(): Promise<void>;
}

/** Opens the database described by `options` (see {@link DatabaseOptions}). */
export async function createDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.maxConnections ?? 10);
  return openPglite(resolve(options.dataDir ?? "./.data"), options.maxConnections ?? 4);
}

/** Options from the environment: `DATABASE_URL`, else PGlite in `DATA_DIR` (default `./.data`). */
export function databaseOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): DatabaseOptions {
  const databaseUrl = env.DATABASE_URL?.trim();
  if (!databaseUrl) return { dataDir: dataDirFromEnv(env) };
  // One line naming the variable (a RangeError: the CLIs' exit 2), not postgres.js's TypeError.
  const problem = postgresUrlProblem(databaseUrl);
  if (problem)
    throw new RangeError(`DATABASE_URL: ${problem} (${shownValue("DATABASE_URL", databaseUrl)})`);
  return { databaseUrl };
}

/**
 * The decision service's database from the environment: as {@link databaseOptionsFromEnv}, with
 * the embedded store in `DECISION_DATA_DIR` when set (decisionStoreDir, the rule the decision
 * service follows too). The campaign commands read and write its decisions, shares, results and
 * policies there.
 */
export function decisionDatabaseOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): DatabaseOptions {
  return databaseOptionsFromEnv({ ...env, DATA_DIR: decisionStoreDir(env).dir });
}

/** Seconds before reconnecting after the `retries`-th failed connection: postgres.js's default
 * grows to 20 s during an outage (so a service came back up to ~30 s after the database did);
 * capped at 0.5 s, a service is back within about half a second. */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 0.5);
}

type ClientFactory = (max: number) => postgres.Sql;

/**
 * The role to log in as when the URL names none and PGUSER is unset: the OS user, as psql does.
 * postgres.js asks `os.userInfo()`, which Bun answers "unknown" when $USER is unset (a container,
 * a service manager); then the name comes from /etc/passwd by uid. Undefined leaves it to postgres.js.
 */
export function osDatabaseUser(
  url: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const named = URL.canParse(url) && new URL(url).username;
  if (named || env.PGUSER || env.PGUSERNAME) return undefined;
  try {
    if (userInfo().username !== "unknown") return undefined;
    const uid = process.getuid?.();
    if (uid === undefined || !existsSync("/etc/passwd")) return undefined;
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === String(uid));
    return line?.split(":")[0] || undefined;
  } catch {
    return undefined; // a runtime without these permissions (Deno): postgres.js's own default
  }
}

function openPostgres(url: string, max: number): DatabaseHandle {
  const release = holdPostgresUrl(url);
  const user = osDatabaseUser(url);
  const handle = openThroughPostgresJs(
    "postgres",
    (m) =>
      postgres(url, {
        max: m,
        onnotice: () => {},
        backoff: reconnectBackoff,
        ...(user && { user }),
      }),
    max,
    async () => {},
  );
  const listeners = new Set<NotificationListener>();
  const listen = (channel: string, handlers: NotificationHandlers) => {
    const listener = listenForNotifications(
      ({ onnotify, onclose }) =>
        postgres(url, {
          max: 1,
          onnotice: () => {},
          onclose,
          // The listening connection stays open: no idle timeout, no maximum lifetime.
          idle_timeout: 0,
          max_lifetime: null,
          fetch_types: false,
          ...(user && { user }),
          // Passed to the connection by postgres.js (used by its own sql.listen), not in its types.
          ...({ onnotify } as object),
        }),
      channel,
      handlers,
    );
    listeners.add(listener);
    return listener;
  };
  return {
    ...handle,
    listen,
    async close() {
      await Promise.allSettled([...listeners].map((l) => l.close()));
      try {
        await handle.close();
      } finally {
        release();
      }
    },
  };
}

/**
 * The embedded database: postgres.js whose sockets come from the data directory's server (found
 * through its lock file, or hosted here). Named prepared statements are allowed as on PostgreSQL
 * (Drizzle asks for one only for a query given a name, such as the decision log's insert, whose
 * planning cost more than running it); the server is one PGlite session shared by every
 * connection, and it closes a connection's statements when that connection goes away.
 */
/**
 * Seconds after which an idle embedded connection closes itself. A host that is done waits for
 * the other processes' connections to close (wire-server.ts drain): closed by the client, which
 * knows whether it is about to send, none fails; closed by the host, the client's next statement
 * could cross the close and fail with ECONNRESET. Reconnecting costs 3–15 ms (startup and
 * postgres.js's type query), so a statement after a quiet spell pays it; longer, a CLI hosting
 * the store lingers that long after its command for a service's idle connections.
 */
export const EMBEDDED_CLIENT_IDLE_S = 2;

function openPglite(dataDir: string, max: number): DatabaseHandle {
  retainEmbedded(dataDir);
  const factory: ClientFactory = (m) =>
    postgres({
      host: "127.0.0.1",
      user: "postgres",
      database: "postgres",
      max: m,
      onnotice: () => {},
      backoff: reconnectBackoff,
      idle_timeout: EMBEDDED_CLIENT_IDLE_S,
      // postgres.js takes a connected socket from `socket` (documented, missing from its types).
      ...({ socket: () => embeddedSocket(dataDir) } as object),
    });
  return openThroughPostgresJs("pglite", factory, max, () => releaseEmbedded(dataDir));
}

function openThroughPostgresJs(
  driver: DatabaseDriver,
  factory: ClientFactory,
  max: number,
  afterClose: () => Promise<void>,
): DatabaseHandle {
  const client = factory(max);
  const db = drizzlePostgres(client, { schema }) as unknown as Database;
  let closed = false;
  return {
    db,
    driver,
    async migrate() {
      // A dedicated single connection, so that the session-level advisory lock covers every
      // statement the migrator sends (two services starting at once must not race). The embedded
      // server applies the migrations itself when it starts, so there this finds nothing to do.
      const lockClient = factory(1);
      try {
        await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
        await refuseNewerSchema(MIGRATIONS_FOLDER, (statement) => lockClient.unsafe(statement));
        await namingMigration(MIGRATIONS_FOLDER, () =>
          migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER }),
        );
        await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
      } finally {
        await lockClient.end();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.end();
      } finally {
        await afterClose();
      }
    },
  };
}
