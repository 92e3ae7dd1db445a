// `ml forget` and the tables `ml score --to postgres://… --table T` wrote into the registry's own
// database: the customers' rows stayed there (a probe's score table kept its row for the forgotten
// customer) while ml forget said "ml score outputs are outside the database". A real `ml forget`
// process on PostgreSQL: rows of the scores tables (any schema) go, other tables are untouched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { runBun } from "@pp/shared/testing/processes.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { createScoresTableSql } from "./score-sinks.ts";

const root = resolve(import.meta.dirname, "../..");
let t: TestDatabase;

describe.skipIf(!testDrivers().includes("postgres"))("postgres", () => {
  beforeAll(async () => {
    t = await openTestDatabase("postgres");
  }, 60_000);
  afterAll(() => t?.cleanup());

  test("ml forget erases the customers' rows of ml score tables in its database, and says so", async () => {
    const db = t.handle.db;
    await db.execute(sql`create schema crm`);
    for (const table of ['"scores"', '"crm"."scores_q3"']) {
      await db.execute(sql.raw(createScoresTableSql(table)));
      await db.execute(
        sql.raw(`insert into ${table} (model, version, customer_id) values
          ('purchase', 1, 'gone'), ('purchase', 2, 'gone'), ('purchase', 1, 'kept')`),
      );
    }
    // Not a scores table: a shop's own table naming customers is not ml forget's to change.
    await db.execute(sql`create table crm.contacts (customer_id text, email text)`);
    await db.execute(sql`insert into crm.contacts values ('gone', 'g@example.com')`);
    const env = { DATABASE_URL: t.options.databaseUrl as string };
    const run = await runBun(join(root, "ml/cli.ts"), ["forget", "gone"], env);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("erased 2 row(s) of ml score table crm.scores_q3");
    expect(run.stdout).toContain("erased 2 row(s) of ml score table public.scores");
    for (const table of ["public.scores", "crm.scores_q3"]) {
      const rows = await db.execute(sql.raw(`select customer_id from ${table}`));
      expect(JSON.stringify(rows)).not.toContain("gone");
      expect(JSON.stringify(rows)).toContain("kept");
    }
    const contacts = await db.execute(sql`select customer_id from crm.contacts`);
    expect(JSON.stringify(contacts)).toContain("gone");
  }, 120_000);
});
