// The schema and migrations on both drivers: migrating twice is a no-op, concurrent migrations are
// safe, and the invariants the database itself guarantees (one production version per model, one
// active policy) hold whatever the application code does.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
import { sql } from "drizzle-orm";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { createDatabase, databaseOptionsFromEnv, MIGRATIONS_FOLDER } from "./client.ts";
import { type Database, queryRows } from "./database.ts";
import { oneRow } from "./one-row.ts";
import { models, modelVersions, policies } from "./schema.ts";

// Real databases on a shared 2-core machine: Bun's 5 s default is too tight for PGlite.
setDefaultTimeout(60_000);

/** Resolves when the query fails with a unique violation (SQLSTATE 23505) of `constraint`. */
async function expectUniqueViolation(query: PromiseLike<unknown>, constraint: string) {
  const error = await Promise.resolve(query).then(
    () => null,
    (e: Error & { cause?: { code?: string; message?: string } }) => e,
  );
  expect(error).not.toBeNull();
  expect(error?.cause?.code).toBe("23505");
  expect(error?.cause?.message).toContain(constraint);
}

async function countMigrations(db: Database): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return oneRow(rows, "migration count").n;
}

const migrationFiles = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith(".sql"));

test("options from env: DATABASE_URL wins, else DATA_DIR, else ./.data", () => {
  expect(databaseOptionsFromEnv({ DATABASE_URL: "postgres://x/y", DATA_DIR: "/d" })).toEqual({
    databaseUrl: "postgres://x/y",
  });
  expect(databaseOptionsFromEnv({ DATA_DIR: "/d" })).toEqual({ dataDir: "/d" });
  expect(databaseOptionsFromEnv({})).toEqual({ dataDir: "./.data" });
  // Not a PostgreSQL URL: one line naming the variable, its password hidden (it was
  // postgres.js's TypeError, or a MySQL URL tried as PostgreSQL's with its user).
  expect(() => databaseOptionsFromEnv({ DATABASE_URL: "garbage" })).toThrow(
    new RangeError('DATABASE_URL: must be a postgres:// URL (got "garbage")'),
  );
  expect(() => databaseOptionsFromEnv({ DATABASE_URL: "mysql://u:pw@h/x" })).toThrow(
    'DATABASE_URL: must be a postgres:// URL (got "mysql://u:***@h/x")',
  );
});

for (const driver of testDrivers()) {
  describe(`schema on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver, { migrate: false });
    }, 60_000);
    afterAll(async () => {
      await t?.cleanup();
    }, 30_000);

    const tableNames = async () =>
      (
        await queryRows<{ table_name: string }>(
          t.handle.db,
          sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
        )
      ).map((r) => r.table_name);
    const appliedMigrations = () => countMigrations(t.handle.db);

    test("migrations create every table; running them again changes nothing", async () => {
      // The embedded server applies the migrations itself when it opens the database.
      if (driver === "postgres") expect(await tableNames()).toEqual([]);
      await t.handle.migrate();
      const tables = await tableNames();
      expect(tables).toEqual([
        "api_keys",
        "campaign_results",
        "campaign_shares",
        "customer_erasures",
        "customer_features",
        "decision_log",
        "decision_log_dead_letter",
        "decision_store_settings",
        "forecast_tracking",
        "model_versions",
        "models",
        "policies",
        "publish_leases",
      ]);
      expect(await appliedMigrations()).toBe(migrationFiles.length);
      await t.handle.migrate();
      await Promise.all([t.handle.migrate(), t.handle.migrate()]);
      expect(await tableNames()).toEqual(tables);
      expect(await appliedMigrations()).toBe(migrationFiles.length);
    });

    test("the database refuses a second production version of a model", async () => {
      const db = t.handle.db;
      const model = oneRow(
        await db.insert(models).values({ name: "db-invariant" }).returning(),
        "model insert",
      );
      const base = {
        modelId: model.id,
        artifactUri: "file:///x",
        artifactSha256: "0".repeat(64),
        artifacts: [],
        timeUnit: "week",
        calibrationEnd: "1997-09-30",
        dataWindow: { calibrationEnd: "1997-09-30" },
        params: {},
        metrics: {},
        trainedAt: new Date(),
      };
      await db.insert(modelVersions).values({ ...base, version: 1, stage: "production" });
      await db.insert(modelVersions).values({ ...base, version: 2, stage: "staging" });
      await expectUniqueViolation(
        db.insert(modelVersions).values({ ...base, version: 3, stage: "production" }),
        "model_versions_one_production",
      );
      await expectUniqueViolation(
        db.insert(modelVersions).values({ ...base, version: 2, stage: "archived" }),
        "model_versions_model_version_unique",
      );
    });

    test("the database refuses a second active policy", async () => {
      const db = t.handle.db;
      await db.insert(policies).values({ name: "a", version: 1, definition: {}, active: true });
      await db.insert(policies).values({ name: "b", version: 1, definition: {}, active: false });
      await expectUniqueViolation(
        db.insert(policies).values({ name: "b", version: 2, definition: {}, active: true }),
        "policies_one_active",
      );
    });
  });
}

describe.skipIf(!testDrivers().includes("postgres"))("migrations on postgres", () => {
  test("two handles migrating the same fresh database at once both succeed", async () => {
    const t = await openTestDatabase("postgres", { migrate: false });
    const other = await createDatabase({ databaseUrl: t.options.databaseUrl });
    try {
      await Promise.all([t.handle.migrate(), other.migrate(), t.handle.migrate()]);
      expect(await countMigrations(t.handle.db)).toBe(migrationFiles.length);
    } finally {
      await other.close();
      await t.cleanup();
    }
  }, 60_000);
});
