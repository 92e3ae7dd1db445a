// A policy activated by another process (`ml campaign learn --activate`, another replica) is used
// by the first decision past the cache, even in a service that was idle: before, that decision ran
// under the old copy (re-read in the background only after answering from it).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { PolicyCatalog } from "./policy-catalog.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
}, 30_000);
afterAll(() => db.cleanup());

test("the first decision past the cache uses the policy activated elsewhere", async () => {
  let clock = 0;
  const catalog = new PolicyCatalog(async () => db.handle.db, { cacheMs: 5000, now: () => clock });
  expect((await catalog.active()).name).toBe("default");
  // Another process activates lapsing-uplift while this one is idle for two minutes.
  await new PolicyStore(db.handle.db).activate("lapsing-uplift", 1);
  clock += 120_000;
  expect((await catalog.active()).name).toBe("lapsing-uplift");
  // Within the cache, no read: the copy answers.
  await new PolicyStore(db.handle.db).activate("default", 1);
  clock += 1000;
  expect((await catalog.active()).name).toBe("lapsing-uplift");
  clock += 5000;
  expect((await catalog.active()).name).toBe("default");
});
