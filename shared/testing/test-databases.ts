// Test support: a fresh, migrated database on either driver. PostgreSQL gets a uniquely named
// database per call (created, as a copy of a migrated template, and dropped here) so parallel test
// runs never collide; PGlite gets a temporary directory (a copy of a migrated one). An unreachable
// PostgreSQL fails loudly: CI is expected to have one.

import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createDatabase, type DatabaseHandle } from "../db/client.ts";
import type { DatabaseDriver } from "../db/database.ts";
import { migrationsHash } from "../db/migrations-folder.ts";

export const DEFAULT_TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Options that open this same database again (e.g. in a second handle or a child process). */
  options: { databaseUrl?: string; dataDir?: string };
  /** Closes the handle and drops the database / removes the directory. */
  cleanup(): Promise<void>;
}

/** Drivers the shared suites run on: both by default, or the list in `PP_TEST_DRIVERS`. */
export function testDrivers(): DatabaseDriver[] {
  const wanted = process.env.PP_TEST_DRIVERS?.split(",").map((d) => d.trim());
  const all: DatabaseDriver[] = ["pglite", "postgres"];
  return wanted ? all.filter((d) => wanted.includes(d)) : all;
}

/**
 * A fresh PostgreSQL database without the schema, filled by `setup` over a connection of its own:
 * the tables a test reads as a shop's (an export loaded by hand, a table made before an upgrade).
 */
export async function postgresWith(
  setup: (sql: postgres.Sql) => Promise<unknown>,
): Promise<TestDatabase & { url: string }> {
  const database = await openTestDatabase("postgres", { migrate: false });
  const url = database.options.databaseUrl as string;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await setup(sql);
  } finally {
    await sql.end();
  }
  return Object.assign(database, { url });
}

/** Opens a fresh database on `driver`; `migrate: false` leaves it empty. */
export async function openTestDatabase(
  driver: DatabaseDriver,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (driver === "pglite") {
    const dataDir = mkdtempSync(join(tmpdir(), "pp-pglite-"));
    if (migrate) cpSync(await migratedPgliteTemplate(), dataDir, { recursive: true });
    const handle = await createDatabase({ dataDir });
    if (migrate) await handle.migrate();
    return {
      handle,
      options: { dataDir },
      async cleanup() {
        await handle.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = process.env.DATABASE_URL_TEST || DEFAULT_TEST_POSTGRES_URL;
  const name = uniqueDatabaseName("pp_test");
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const template = migrate ? await migratedPostgresTemplate(admin, adminUrl) : null;
    await admin.unsafe(`create database ${name}${template ? ` template ${template}` : ""}`);
  } catch (error) {
    await admin.end({ timeout: 1 });
    console.error(
      `\n${"!".repeat(78)}\n!! PostgreSQL at ${adminUrl} is NOT reachable: ${(error as Error).message}\n` +
        `!! The Postgres half of this suite cannot run. Start PostgreSQL or set DATABASE_URL_TEST\n` +
        `!! (or PP_TEST_DRIVERS=pglite to run only the embedded driver, knowingly).\n${"!".repeat(78)}\n`,
    );
    throw error;
  }
  const databaseUrl = databaseUrlOf(adminUrl, name);
  const handle = await createDatabase({ databaseUrl });
  if (migrate) await handle.migrate();
  return {
    handle,
    options: { databaseUrl },
    async cleanup() {
      await handle.close();
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

let template: Promise<string> | null = null;

/**
 * A migrated PGlite directory, built once per migration set and reused across test runs: creating
 * a PGlite database takes seconds (much longer on a busy machine), copying one takes milliseconds.
 */
function migratedPgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = join(tmpdir(), `pp-pglite-template-${migrationsHash()}`);
    if (existsSync(join(dir, "READY"))) return dir;
    const building = mkdtempSync(join(tmpdir(), "pp-pglite-building-"));
    const handle = await createDatabase({ dataDir: building });
    await handle.migrate();
    await handle.close();
    writeFileSync(join(building, "READY"), "");
    try {
      renameSync(building, dir);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another run finished first
    }
    return dir;
  })();
  return template;
}

const uniqueDatabaseName = (prefix: string) =>
  `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

function databaseUrlOf(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

const postgresTemplates = new Map<string, Promise<string>>();

/**
 * The name of a migrated PostgreSQL database on `adminUrl`'s server, built once per migration set
 * and reused across files and runs, to copy with CREATE DATABASE … TEMPLATE: migrating a new
 * database runs every migration's DDL and commits (about a second each on a busy machine), a copy
 * takes a fraction of that. Built under another name and renamed only when migrated, so a copy
 * never starts from a half-built one; of two built at once, the second is dropped.
 */
function migratedPostgresTemplate(admin: postgres.Sql, adminUrl: string): Promise<string> {
  let template = postgresTemplates.get(adminUrl);
  if (!template) {
    template = buildPostgresTemplate(admin, adminUrl);
    postgresTemplates.set(adminUrl, template);
    template.catch(() => postgresTemplates.delete(adminUrl));
  }
  return template;
}

async function buildPostgresTemplate(admin: postgres.Sql, adminUrl: string): Promise<string> {
  const name = `pp_template_${migrationsHash()}`;
  const exists = async () =>
    (await admin`select 1 from pg_database where datname = ${name}`).length > 0;
  if (await exists()) return name;
  const building = uniqueDatabaseName("pp_building");
  await admin.unsafe(`create database ${building}`);
  try {
    const handle = await createDatabase({ databaseUrl: databaseUrlOf(adminUrl, building) });
    try {
      await handle.migrate();
    } finally {
      await handle.close();
    }
    // Closed connections can take a moment to leave: the rename needs none left.
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${building}`;
    await admin.unsafe(`alter database ${building} rename to ${name}`);
  } catch (error) {
    await admin.unsafe(`drop database if exists ${building} with (force)`);
    if (await exists()) return name; // another run finished first
    throw error;
  }
  return name;
}
