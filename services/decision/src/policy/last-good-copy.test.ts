// While the database is away, policies and API keys are served from the last good copy: one
// bounded wait finds the outage, then no database attempt is on the request path, so a database
// that hangs forever stalls no decision, and re-reads happen in the background (policies back off
// from 1 s to 30 s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "@pp/shared/db/database.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { ApiKeyRing } from "../auth/api-key-ring.ts";
import { ApiKeyStore } from "../auth/api-key-store.ts";
import { PolicyCatalog } from "./policy-catalog.ts";

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  // Open the connection and seed the named policies first, with no deadline: the tests below
  // give each read READ_TIMEOUT_MS, which a first connect (and seeding) need not meet on a loaded machine.
  await new PolicyCatalog(() => Promise.resolve(testDb.handle.db)).active();
  await new ApiKeyStore(testDb.handle.db).list();
}, 30_000);

/** Polls `check` (bounded) until it holds; returns whether it did. */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(20);
  }
  return false;
}
afterAll(() => testDb.cleanup());

/** The real database until `state.mode` says otherwise; counts every use. */
function switchableDatabase() {
  const state = { mode: "up" as "up" | "hang" | "fail", uses: 0 };
  const provider = (): Promise<Database> => {
    state.uses++;
    if (state.mode === "hang") return new Promise(() => {});
    if (state.mode === "fail") return Promise.reject(new Error("connect ECONNREFUSED"));
    return Promise.resolve(testDb.handle.db);
  };
  return { state, provider };
}

/**
 * Each read's timeout below, and the time past which a call counts as having waited for one: a
 * call that waits for a hung read takes at least READ_TIMEOUT_MS, one answered from the copy takes
 * well under a millisecond. The gap is wide because CI's load stalls a quiet call too (a 50 ms
 * timeout counted calls of 40 ms or more as waits, and a stall counted a second one).
 */
const READ_TIMEOUT_MS = 200;
const WAITED_MS = 150;

/**
 * The first read that fills a copy. It gets the same timeout as every read below, which a loaded
 * machine can miss (CI ran this under --parallel=2 and the first key read timed out), so it is
 * tried again, a second of fake time apart, until it answers.
 */
async function firstRead<T>(read: () => Promise<T>, advance: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const value = await read().catch(() => null);
    if (value !== null || attempt === 20) return value as T;
    advance();
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
}

describe("last good copy", () => {
  test("policies: a hanging database stalls no decision; re-reads back off", async () => {
    let clock = 0;
    const db = switchableDatabase();
    const catalog = new PolicyCatalog(db.provider, {
      cacheMs: 5000,
      now: () => clock,
      readTimeoutMs: READ_TIMEOUT_MS,
    });
    const first = await firstRead(
      () => catalog.active(),
      () => (clock += 1000),
    );
    expect(first?.name).toBe("default");
    for (const mode of ["hang", "fail"] as const) {
      db.state.mode = mode;
      const usesBefore = db.state.uses;
      // The first decision past the cache waits for the re-read (so an idle service uses a policy
      // activated elsewhere), bounded by the read's timeout; it finds the outage, and every later
      // decision answers from the copy at once.
      let waited = 0;
      for (let i = 0; i < 200; i++) {
        clock += 100; // 20 s of traffic
        const { value, ms } = await timed(() => catalog.active());
        expect(value).toEqual(first);
        expect(ms).toBeLessThan(600);
        if (ms >= WAITED_MS) waited++;
      }
      expect(waited).toBeLessThanOrEqual(1);
      // hang: the read the first decision waited for (it timed out), then one in flight, never a
      // third; fail: backing off 1, 2, 4, 8 s ... at most 6.
      expect(db.state.uses - usesBefore).toBeLessThanOrEqual(mode === "hang" ? 2 : 6);
      expect(db.state.uses - usesBefore).toBeGreaterThanOrEqual(1);
      await Bun.sleep(READ_TIMEOUT_MS + 50); // the hung read times out: it cannot block later re-reads
    }
    // Back up: the next background re-read (after the back-off) brings a change in.
    db.state.mode = "up";
    await new PolicyStore(testDb.handle.db).activate("lapsing-uplift", 1);
    clock += 60_000;
    expect((await catalog.active()).name).toBe("default"); // answered from the copy...
    // ...while it re-reads in the background; the change arrives on a later request.
    expect(await eventually(async () => (await catalog.active()).name === "lapsing-uplift")).toBe(
      true,
    );
  });

  test("API keys: stored keys keep working from the copy; one bounded wait finds the outage", async () => {
    let clock = 0;
    const db = switchableDatabase();
    const created = await new ApiKeyStore(testDb.handle.db).create("copy-test", ["admin"]);
    const ring = new ApiKeyRing({
      database: db.provider,
      refreshMs: 1000,
      readTimeoutMs: READ_TIMEOUT_MS,
      now: () => clock,
    });
    const first = await firstRead(
      () => ring.verify(created.key),
      () => (clock += 1000),
    );
    expect(first?.scopes).toEqual(["decide", "admin"]);
    db.state.mode = "hang";
    // The first request past the refresh waits for the read (so a key revoked elsewhere stops
    // working in an idle service), bounded by the read's timeout; it finds the database away and
    // every later request answers from the copy at once.
    let waited = 0;
    for (let i = 0; i < 100; i++) {
      clock += 500;
      const valid = await timed(() => ring.verify(created.key));
      expect(valid.value?.name).toBe("copy-test");
      expect(valid.ms).toBeLessThan(600);
      if (valid.ms >= WAITED_MS) waited++;
      const invalid = await timed(() => ring.verify(`nope-${i}`));
      expect(invalid.value).toBeNull();
      expect(invalid.ms).toBeLessThan(600); // a miss waits at most 500 ms, and only when healthy
    }
    expect(waited).toBeLessThanOrEqual(1);
    // Re-reads: at most one per second of (fake) time, only the first waited for.
    expect(db.state.uses).toBeLessThanOrEqual(52);
  });
});
