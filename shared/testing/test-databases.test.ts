// openTestDatabase("postgres") copies a migrated template instead of migrating each new database:
// the copy must hold what migrating a new database gives (tables, columns, indexes, constraints,
// the migrations' journal), and databases opened at once must each get it.
import { afterAll, expect, test } from "bun:test";
import postgres from "postgres";
import { modelVersions } from "../db/schema.ts";
import { openTestDatabase, postgresWith, type TestDatabase } from "./test-databases.ts";

const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const t of opened) await t.cleanup();
});

/** Every table's columns, every index and constraint, and the migrations' journal, as text. */
async function schemaOf(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe(`
      select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' ||
        data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
        from information_schema.columns where table_schema not in ('pg_catalog', 'information_schema')
      union all
      select 'index ' || schemaname || '.' || indexname || ' ' || indexdef from pg_indexes
        where schemaname not in ('pg_catalog', 'information_schema')
      union all
      select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        from pg_constraint where connamespace::regnamespace::text not in ('pg_catalog', 'information_schema')
      union all
      select 'type ' || t.typname || ' ' || string_agg(e.enumlabel, ',' order by e.enumsortorder)
        from pg_type t join pg_enum e on e.enumtypid = t.oid group by t.typname
      union all
      select 'migration ' || hash from drizzle.__drizzle_migrations
      order by 1`);
    return rows.map((r) => String(r.line));
  } finally {
    await sql.end();
  }
}

/** The transaction ids that wrote the migrations' journal: a copy keeps its template's. */
async function journalWriters(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select xmin::text as x from drizzle.__drizzle_migrations order by id`;
    return rows.map((r) => String(r.x));
  } finally {
    await sql.end();
  }
}

test("a PostgreSQL test database is a copy of a migrated template, with the schema a fresh migration gives", async () => {
  const fresh = await postgresWith(async () => {});
  opened.push(fresh);
  await fresh.handle.migrate();
  const [a, b] = [await openTestDatabase("postgres"), await openTestDatabase("postgres")];
  opened.push(a, b);
  const [urlA, urlB] = [a.options.databaseUrl as string, b.options.databaseUrl as string];

  const expected = await schemaOf(fresh.url);
  expect(expected.filter((l) => l.startsWith("migration ")).length).toBeGreaterThan(10);
  expect(await schemaOf(urlA)).toEqual(expected);
  // Migrated each on its own, two databases' journals are written by different transactions.
  expect(await journalWriters(urlA)).toEqual(await journalWriters(urlB));
  expect(await journalWriters(urlA)).not.toEqual(await journalWriters(fresh.url));
});

test("databases opened at once each get the migrated schema", async () => {
  const many = await Promise.all(Array.from({ length: 4 }, () => openTestDatabase("postgres")));
  opened.push(...many);
  for (const t of many) {
    const rows = await t.handle.db.select().from(modelVersions);
    expect(rows).toEqual([]);
  }
});
