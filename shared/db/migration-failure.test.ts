// A migration the database refuses is named, with the database's reason, in one line: drizzle's
// error gave `db:migrate` 44 lines of stack and the decision service's /ready "SQLSTATE 42P07
// (database error)", neither naming the migration. Nothing of the pending migrations is applied.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import postgres from "postgres";
import { postgresWith, type TestDatabase } from "../testing/test-databases.ts";
import { MigrationError } from "./migration-failure.ts";

let database: TestDatabase;
let url: string;
beforeAll(async () => {
  // Made by hand before the upgrade: migration 0012 creates this table.
  database = await postgresWith((sql) =>
    sql.unsafe("create table campaign_shares (campaign_id text)"),
  );
  url = database.options.databaseUrl as string;
});
afterAll(async () => {
  await database?.cleanup();
});

test("migrate() names the migration refused and its SQLSTATE; none of the pending is applied", async () => {
  const error = await database.handle.migrate().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  const refused = error as MigrationError;
  expect(refused.migration).toBe("0012_campaign_shares");
  expect(refused.code).toBe("42P07");
  expect(refused.reason).toBe('relation "campaign_shares" already exists');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [tables] = await sql`select count(*)::int as n from information_schema.tables
      where table_schema = 'public' and table_name = 'decision_log'`;
    expect(tables?.n).toBe(0); // 0000..0011 ran in the same transaction: rolled back too
  } finally {
    await sql.end();
  }
});

/** The one stderr line of a command run on that database (it must exit 1). */
function oneErrorLine(script: string, ...args: string[]): string {
  const run = Bun.spawnSync([process.execPath, resolve(import.meta.dirname, script), ...args], {
    env: { ...process.env, DATABASE_URL: url },
    stderr: "pipe",
    stdout: "pipe",
  });
  const stderr = run.stderr.toString().trim();
  expect(run.exitCode).toBe(1);
  expect(stderr.split("\n")).toHaveLength(1);
  return stderr;
}

test("npm run db:migrate says so in one line, exit 1", () => {
  expect(oneErrorLine("migrate.ts")).toStartWith(
    'error: migration 0012_campaign_shares could not be applied: relation "campaign_shares" already exists (42P07)',
  );
});

// The ml CLI opens the registry through the same migrations: one line too (it printed the stack).
test("an ml command on that database says so in one line, exit 1", () => {
  expect(oneErrorLine("../../ml/cli.ts", "models")).toStartWith(
    "error: migration 0012_campaign_shares could not be applied",
  );
});
