// The key ring's once-a-second check is one short row (the digest of the unrevoked keys), and the
// keys are read only when it changed: an idle table costs one small query a second per process,
// not a read of every key. The digest changes with every change a revoke, create, rotation or a
// hand-made UPDATE makes to what the ring reads, on both drivers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "@pp/shared/db/database.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { ApiKeyRing } from "./api-key-ring.ts";
import { ApiKeyStore } from "./api-key-store.ts";

/** `db`, counting the SELECTs run in its transactions (the ring reads in one). */
function countingSelects(db: Database) {
  const counts = { selects: 0 };
  const bound = (target: object, value: unknown) =>
    typeof value === "function" ? value.bind(target) : value;
  const inTx = (tx: object) =>
    new Proxy(tx, {
      get(t, p) {
        if (p === "select") counts.selects++;
        return bound(t, Reflect.get(t, p));
      },
    });
  const wrapped = new Proxy(db, {
    get(t, p) {
      if (p === "transaction") {
        return (run: (tx: object) => Promise<unknown>) => t.transaction((tx) => run(inTx(tx)));
      }
      return bound(t, Reflect.get(t, p));
    },
  });
  return { counts, db: wrapped as Database };
}

for (const driver of testDrivers()) {
  describe(`API key digest (${driver})`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    }, 120_000);
    afterAll(async () => {
      await t?.cleanup();
    });

    test("changes with each change to an unrevoked key, not otherwise", async () => {
      const store = new ApiKeyStore(t.handle.db);
      const seen = [await store.activeKeysDigest()];
      const changed = async () => {
        const digest = await store.activeKeysDigest();
        expect(seen).not.toContain(digest);
        seen.push(digest);
      };
      const a = await store.create("digest-a");
      await changed();
      const b = await store.create("digest-b", ["decide", "admin"]);
      await changed();
      expect(await store.activeKeysDigest()).toBe(seen.at(-1) as string); // nothing changed
      await store.revoke(a.id);
      await changed();
      await store.rotate(b.id, { graceHours: 1 });
      await changed();
      await t.handle.db
        .update(apiKeys)
        .set({ expiresAt: new Date(Date.now() + 60_000) })
        .where(eq(apiKeys.id, b.id));
      await changed();
      await t.handle.db
        .update(apiKeys)
        .set({ scopes: ["decide"] })
        .where(eq(apiKeys.id, b.id));
      await changed();
      // A revoked key's row is not what the ring reads.
      await t.handle.db.update(apiKeys).set({ name: "renamed" }).where(eq(apiKeys.id, a.id));
      expect(await store.activeKeysDigest()).toBe(seen.at(-1) as string);
    });

    test("a check of an unchanged table reads the digest alone; a change reads the keys", async () => {
      let now = Date.now();
      const made = await new ApiKeyStore(t.handle.db).create("digest-check");
      const { counts, db } = countingSelects(t.handle.db);
      const ring = new ApiKeyRing({ database: async () => db, now: () => now });
      expect((await ring.check(made.key)).kind).toBe("valid");
      expect(counts.selects).toBe(2); // the first read: digest, then the keys
      for (let i = 0; i < 5; i++) {
        now += 1000;
        expect((await ring.check(made.key)).kind).toBe("valid");
      }
      expect(counts.selects).toBe(2 + 5); // one digest a second, the keys not read again
      await new ApiKeyStore(t.handle.db).revoke(made.id);
      now += 1000;
      expect((await ring.check(made.key)).kind).toBe("unknown");
      expect(counts.selects).toBe(2 + 5 + 2);
    });
  });
}
