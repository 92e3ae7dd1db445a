// A database a newer release migrated is refused, on both drivers: drizzle's migrator applies only
// migrations newer than the last one applied, so this release went on to run on tables it does
// not know (a downgrade after an upgrade), with nothing said.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { createDatabase, type DatabaseHandle } from "./client.ts";
import { MIGRATIONS_FOLDER } from "./migrations-folder.ts";

const opened: TestDatabase[] = [];
/** How many migrations this release has (its journal's entries). */
const MIGRATIONS = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
    entries: unknown[];
  }
).entries.length;
afterAll(async () => {
  for (const database of opened) await database.cleanup().catch(() => {});
});

async function count(handle: DatabaseHandle, table: string): Promise<number> {
  const result = (await handle.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as
    | { rows: { n: number }[] }
    | { n: number }[];
  return (Array.isArray(result) ? result : result.rows)[0]?.n ?? -1;
}

for (const driver of testDrivers()) {
  test(`${driver}: a database with a migration newer than this release's is refused, unchanged`, async () => {
    const database = await openTestDatabase(driver);
    opened.push(database);
    // What a newer release leaves: one more row, a day after this release's last migration.
    await database.handle.db.execute(
      sql.raw(`insert into drizzle.__drizzle_migrations (hash, created_at)
        select 'from-a-newer-release', max(created_at) + 86400000 from drizzle.__drizzle_migrations`),
    );
    await database.handle.close();
    const error = await createDatabase(database.options)
      .then(async (handle) => {
        try {
          await handle.migrate();
        } finally {
          await handle.close();
        }
        return null;
      })
      .catch((e: unknown) => e as Error);
    expect(error?.message).toMatch(
      /^run a newer release: one migrated this database past this release's migrations \(the database's last is of \d{4}-\d\d-\d\d \d\d:\d\d UTC, this release's \d{4}_[a-z_]+ of .+\); nothing was changed/,
    );
    database.handle = await openRaw(database);
    // This release's migrations and the newer one's row: nothing applied, nothing taken away.
    expect(await count(database.handle, "drizzle.__drizzle_migrations")).toBe(MIGRATIONS + 1);
  });
}

/** The database again, for the test's own checks and cleanup. */
async function openRaw(database: TestDatabase): Promise<DatabaseHandle> {
  if (database.options.databaseUrl) return createDatabase(database.options);
  // The embedded store refuses to open now; a bare PGlite reads it.
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const pg = await PGlite.create(join(database.options.dataDir as string, "pglite"));
  return {
    db: drizzle(pg) as unknown as DatabaseHandle["db"],
    driver: "pglite",
    migrate: async () => {},
    close: () => pg.close(),
  };
}
