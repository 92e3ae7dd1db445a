// ThrowawayPostgres clusters start from a copy of one initdb's output instead of an initdb each:
// two clusters made at once are each a working server of their own (own port, own data, stop and
// start), and they share the template's system identifier, which an initdb of their own would not.
import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "./throwaway-postgres.ts";

const bin = postgresBinDirOrWarn("shared/testing/throwaway-postgres.test.ts");
const clusters: ThrowawayPostgres[] = [];
afterAll(() => {
  for (const pg of clusters) pg.destroy();
});

async function ask<T>(url: string, query: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await query(sql);
  } finally {
    await sql.end();
  }
}

const systemId = (url: string) =>
  ask(url, async (sql) => {
    const [row] = await sql`select system_identifier::text as id from pg_control_system()`;
    return String(row?.id);
  });

describe.skipIf(!bin)("throwaway PostgreSQL clusters", () => {
  test("are copies of one initdb: each its own server and data, stopped and started at will", async () => {
    const [a, b] = [
      ThrowawayPostgres.create(bin as string),
      ThrowawayPostgres.create(bin as string),
    ];
    clusters.push(a, b);
    expect(a.url).not.toBe(b.url);
    await ask(a.url, (sql) => sql`create table only_in_a (n int)`);
    const tablesIn = (url: string) =>
      ask(url, async (sql) =>
        (await sql`select tablename from pg_tables where schemaname = 'public'`).map((r) =>
          String(r.tablename),
        ),
      );
    expect(await tablesIn(a.url)).toEqual(["only_in_a"]);
    expect(await tablesIn(b.url)).toEqual([]);
    a.stop();
    a.start();
    expect(await tablesIn(a.url)).toEqual(["only_in_a"]);
    // initdb gives every cluster a new system identifier; copies of one keep its.
    expect(await systemId(a.url)).toBe(await systemId(b.url));
  }, 120_000);
});
