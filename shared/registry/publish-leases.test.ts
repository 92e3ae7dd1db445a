// The publish lease on both drivers: one holder at a time per model, renewed by its holder, taken
// over once expired, released only by its holder; withPublishLease waits for it, runs nested calls
// of the same process inside it, and gives up with the holder's name.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { LEASE_HOLDER, releaseLease, tryLease, withPublishLease } from "./publish-leases.ts";

setDefaultTimeout(60_000);

for (const driver of testDrivers()) {
  describe(`publish leases on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    test("one holder at a time; renewed by it; taken over once expired; released by it only", async () => {
      const db = t.handle.db;
      expect(await tryLease(db, "m", 60, "A")).toBeNull();
      expect(await tryLease(db, "m", 60, "B")).toBe("A");
      expect(await tryLease(db, "m", 60, "A")).toBeNull(); // renewal
      expect(await tryLease(db, "other model", 60, "B")).toBeNull(); // per model
      await releaseLease(db, "m", "B"); // not B's: nothing happens
      expect(await tryLease(db, "m", 60, "B")).toBe("A");
      await releaseLease(db, "m", "A");
      expect(await tryLease(db, "m", 1, "B")).toBeNull();
      await Bun.sleep(1100); // B's term runs out, as if B had been killed
      expect(await tryLease(db, "m", 60, "C")).toBeNull();
      expect(await tryLease(db, "m", 60, "B")).toBe("C");
    });

    test("withPublishLease waits for the holder, runs nested calls inside, and releases after", async () => {
      const db = t.handle.db;
      expect(await tryLease(db, "w", 60, "someone")).toBeNull();
      const waitedFor: string[] = [];
      const order: string[] = [];
      const run = withPublishLease(
        db,
        "w",
        async () => {
          order.push("outer");
          await withPublishLease(db, "w", async () => void order.push("nested"));
          // Still ours after the nested call returned:
          expect(await tryLease(db, "w", 60, "someone")).toBe(LEASE_HOLDER);
        },
        { onWait: (holder) => waitedFor.push(holder) },
      );
      await Bun.sleep(600);
      expect(order).toEqual([]); // still waiting
      await releaseLease(db, "w", "someone");
      await run;
      expect(order).toEqual(["outer", "nested"]);
      expect(waitedFor).toEqual(["someone"]);
      expect(await tryLease(db, "w", 60, "someone")).toBeNull(); // released
    });

    test("gives up after waitMs, naming the holder", async () => {
      const db = t.handle.db;
      expect(await tryLease(db, "g", 60, "the follower on host-2")).toBeNull();
      await expect(withPublishLease(db, "g", async () => {}, { waitMs: 0 })).rejects.toThrow(
        "g: the follower on host-2 is publishing it; gave up after 0 ms",
      );
    });
  });
}
