// A lock on api_keys (a migration, an operator's LOCK TABLE) costs the decision service at most
// one pooled connection, for at most the read's bound: the database cancels a key read its caller
// gave up on, and a read still in flight is not joined by another. Before, each re-read stuck on
// the lock kept its connection and a new one began each second, until the pool was taken and
// every decision was a 503 "Decision log unavailable" (security and SRE probe: 1,230 in 60 s).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { PolicyCatalog } from "../policy/policy-catalog.ts";
import { ApiKeyRing } from "./api-key-ring.ts";
import { ApiKeyStore } from "./api-key-store.ts";

let testDb: TestDatabase;
let pool: DatabaseHandle;
beforeAll(async () => {
  testDb = await openTestDatabase("postgres");
  pool = await createDatabase({ databaseUrl: testDb.options.databaseUrl, maxConnections: 3 });
}, 60_000);
afterAll(async () => {
  await pool?.close();
  await testDb?.cleanup();
});

/** Backends of this database waiting on a lock (the pool's reads stuck behind LOCK TABLE). */
async function waitingOnLocks(locker: postgres.Sql): Promise<number> {
  const [row] = await locker`select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`;
  return (row as { n: number }).n;
}

async function underLock(table: string, load: () => Promise<void>): Promise<number[]> {
  const locker = postgres(testDb.options.databaseUrl as string, { max: 2, onnotice: () => {} });
  const holder = await locker.reserve();
  const seen: number[] = [];
  try {
    await holder`begin`;
    await holder.unsafe(`lock table ${table} in access exclusive mode`);
    const until = performance.now() + 3500;
    while (performance.now() < until) {
      await load();
      seen.push(await waitingOnLocks(locker));
      await Bun.sleep(100);
    }
    // The pool still answers other queries (the decision log's writes) while the lock is held.
    const started = performance.now();
    await pool.db.execute(sql`select 1`);
    expect(performance.now() - started).toBeLessThan(1000);
  } finally {
    await holder`rollback`.catch(() => {});
    holder.release();
    await locker.end({ timeout: 1 });
  }
  return seen;
}

test("api_keys locked for 3.5 s under key checks: at most one read waits, the pool answers", async () => {
  await new ApiKeyStore(pool.db).create("locked-out", ["decide"]);
  const ring = new ApiKeyRing({
    database: () => Promise.resolve(pool.db),
    refreshMs: 200,
    readTimeoutMs: 400,
  });
  expect(await ring.verify("not-a-key")).toBeNull(); // the first read, before the lock
  const seen = await underLock("api_keys", async () => {
    await ring.verify(`unknown-${performance.now()}`);
  });
  expect(Math.max(...seen)).toBeLessThanOrEqual(1);
}, 30_000);

test("policies locked for 3.5 s under decisions: at most one read waits, the pool answers", async () => {
  const catalog = new PolicyCatalog(() => Promise.resolve(pool.db), {
    cacheMs: 100,
    readTimeoutMs: 400,
  });
  await catalog.active(); // seeds and reads before the lock
  const seen = await underLock("policies", async () => {
    await catalog.active();
  });
  expect(Math.max(...seen)).toBeLessThanOrEqual(1);
}, 30_000);
