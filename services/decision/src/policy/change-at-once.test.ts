// A revoke or an activation through the admin API takes effect in the answering process at once,
// even when a background re-read that began before it is still in flight: that read's (older)
// result must not become the copy. Before, it did: the revoked key kept working for up to the
// ring's refresh interval (30 s), the old policy kept deciding for up to its cache time (5 s).
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
  await new PolicyCatalog(() => Promise.resolve(testDb.handle.db)).active(); // seeds the policies
}, 30_000);
afterAll(() => testDb.cleanup());

/**
 * The real database, except that the next `select … from … where` after `holdNext()` runs at once
 * (its snapshot is taken now) and hands its rows over only at `release()`: a read in flight.
 */
function databaseWithAReadInFlight() {
  const real = testDb.handle.db;
  let held: { gate: Promise<void>; release: () => void } | null = null;
  let started: () => void = () => {};
  const holding = (): Database =>
    ({
      // A read in a transaction (its statement timeout set first, statement-timeout.ts).
      transaction: async (run: (tx: Database) => Promise<unknown>) => run(holding()),
      execute: async () => [],
      select: (fields?: never) => ({
        from: (table: never) => ({
          where: async (where: never) => {
            const rows = await (fields ? real.select(fields) : real.select())
              .from(table)
              .where(where);
            started();
            await held?.gate;
            return rows;
          },
        }),
      }),
    }) as unknown as Database;
  let next: "hold" | "real" = "real";
  return {
    provider: (): Promise<Database> => {
      if (next === "real") return Promise.resolve(real);
      next = "real";
      return Promise.resolve(holding());
    },
    /** Holds the next read; resolves once it has read (before its rows are handed over). */
    holdNext(): Promise<void> {
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      held = { gate, release };
      next = "hold";
      return new Promise<void>((r) => {
        started = r;
      });
    },
    release: () => held?.release(),
  };
}

describe("an admin change takes effect at once in the process that made it", () => {
  test("a revoked key is refused right after the revoke, despite a re-read begun before it", async () => {
    let clock = 0;
    const db = databaseWithAReadInFlight();
    const store = new ApiKeyStore(testDb.handle.db);
    const created = await store.create("revoke-me", ["decide"]);
    const ring = new ApiKeyRing({ database: db.provider, refreshMs: 30_000, now: () => clock });
    expect((await ring.verify(created.key))?.name).toBe("revoke-me");
    // An unknown key makes the ring re-read (at most once a second): that read is held.
    clock += 1000;
    const reading = db.holdNext();
    const miss = ring.verify("made-up-key");
    await reading;
    // What POST /admin/keys/:id/revoke does: revoke, then reload the ring.
    expect(await store.revoke(created.id)).toBe(true);
    const reloaded = ring.reload();
    db.release();
    await Promise.all([miss, reloaded]);
    expect(await ring.verify(created.key)).toBeNull();
  });

  test("an activated policy decides right after the activation, despite a re-read begun before it", async () => {
    let clock = 0;
    const db = databaseWithAReadInFlight();
    const catalog = new PolicyCatalog(db.provider, { cacheMs: 5000, now: () => clock });
    expect((await catalog.active()).name).toBe("default");
    // The copy is stale: the next decision re-reads it in the background; that read is held.
    clock += 5000;
    const reading = db.holdNext();
    await catalog.active();
    await reading;
    const activating = catalog.activate("lapsing-uplift", 1);
    // The held read ends while the activation is committed and answered.
    setTimeout(() => db.release(), 50);
    expect((await activating).name).toBe("lapsing-uplift");
    expect((await catalog.active()).name).toBe("lapsing-uplift");
    await Bun.sleep(100);
    expect((await catalog.active()).name).toBe("lapsing-uplift");
    await new PolicyStore(testDb.handle.db).activate("default", 1);
  });
});
