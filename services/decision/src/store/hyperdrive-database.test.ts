// The Workers database (a client per request) on a real PostgreSQL: a decision's row is committed
// inside the request, and its statements run unnamed. The client lives for one request, so a
// named statement was never run twice: it cost a second round trip (Parse+Describe, then
// Bind+Execute) and a slower parse on every decision.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rowsOf } from "@pp/shared/db/database.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { hyperdriveDatabase } from "./hyperdrive-database.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase("postgres");
}, 60_000);

afterAll(async () => {
  await database?.cleanup();
});

test("a request's decision row is written through unnamed statements, and the client closed", async () => {
  const hyperdrive = hyperdriveDatabase({
    connectionString: database.options.databaseUrl as string,
  });
  const later: Promise<unknown>[] = [];
  const ctx = { waitUntil: (promise: Promise<unknown>) => void later.push(promise) };
  const row = decisionRow("hd-1");
  const named = await hyperdrive.run(ctx, async () => {
    const db = await hyperdrive.provider();
    expect(await appendDecisions(db, [row])).toBe(1);
    const prepared = await db.execute(sql`select name from pg_prepared_statements`);
    return rowsOf<{ name: string }>(prepared).map((r) => r.name);
  });
  expect(named).toEqual([]);
  expect(later).toHaveLength(1);
  await Promise.all(later);
  const stored = await database.handle.db.execute(
    sql`select customer_id from decision_log where decision_id = ${row.decisionId}`,
  );
  expect(rowsOf(stored)).toEqual([{ customer_id: "hd-1" }]);
});
