// Decisions still being made when `ml forget` commits are not written after it, on both drivers:
// rows of an erased customer decided before the erasure (and up to a second after it, on the
// database's clock, whatever the process's clock says) are skipped by the decision log's insert
// and by the dead letter, every other row is written, and a customer who comes back is logged
// again. On PostgreSQL, an insert that starts while the
// erasure runs waits for it and then skips the row. The markers hold a hash, for a day.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { customerErasures } from "../db/schema.ts";
import { decisionRow } from "../testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { customerHash, recordErasures } from "./customer-erasures.ts";
import { DatabaseClock } from "./database-clock.ts";
import {
  appendDecisions,
  DecisionLogRepository,
  eraseCustomerDecisions,
  writeDeadLetters,
} from "./decision-log.ts";
import { forgetCustomers } from "./forget-customer.ts";

setDefaultTimeout(60_000);

const seconds = (s: number) => new Date(Date.now() + s * 1000);

for (const driver of testDrivers()) {
  describe(`erasure markers on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    test("the database's hash of an id is the JavaScript one", async () => {
      const db = t.handle.db;
      for (const id of ["c-1", 'forget "me" é😀', "ü", "x".repeat(5000), "1e308"]) {
        await db.transaction((tx) => recordErasures(tx, [id], { forgotten: true }));
        const found = await db
          .select()
          .from(customerErasures)
          .where(eq(customerErasures.customerSha256, await customerHash(id)));
        expect({ id, found: found.length }).toEqual({ id, found: 1 });
      }
    });

    test("rows of an erased customer decided before the erasure are not written; the rest are", async () => {
      const db = t.handle.db;
      const log = new DecisionLogRepository(db);
      const victim = "erased é😀";
      await appendDecisions(db, [decisionRow(victim, seconds(-5))]);
      await forgetCustomers(db, [victim]);
      // Decided before the erasure (in flight when it ran), within the slack after it, a few
      // seconds after it and long after (the customer came back), in one batch with somebody
      // else's rows. The process's clock is the database's here (one machine).
      const inFlight = decisionRow(victim, seconds(-2));
      const slack = decisionRow(victim, seconds(0.2));
      const soonAfter = decisionRow(victim, seconds(3));
      const later = decisionRow(victim, seconds(60));
      const other = decisionRow("other", seconds(-2));
      await appendDecisions(db, [inFlight, slack, soonAfter, later, other]);
      expect((await log.findByCustomer(victim)).map((r) => r.decisionId).sort()).toEqual(
        [soonAfter.decisionId, later.decisionId].sort(),
      );
      expect(await log.findByCustomer("other")).toHaveLength(1);

      // Parked rows: the same rule; an id the table cannot store (NUL) is parked as before.
      await writeDeadLetters(db, [
        { row: decisionRow(victim, seconds(-1)), reason: "22P05" },
        { row: decisionRow("nul\u0000id", seconds(-1)), reason: "22P05" },
      ]);
      expect(await log.deadLettersOfCustomer(victim)).toEqual([]);
      expect(await log.deadLettersOfCustomer("nul\u0000id")).toHaveLength(1);
    });

    test("a service whose clock is off by 30 s: its decisions are placed on the database's clock", async () => {
      const db = t.handle.db;
      const log = new DecisionLogRepository(db);
      for (const skewSeconds of [30, -30]) {
        const victim = `skewed ${skewSeconds}`;
        // The service's clock, and its decision times, run skewSeconds off the database's.
        const clock = new DatabaseClock(() => Date.now() + skewSeconds * 1000);
        const byService = (s: number) => new Date(clock.now() + s * 1000);
        const before = decisionRow(victim, byService(-2));
        await forgetCustomers(db, [victim]);
        const after = decisionRow(victim, byService(3));
        const parked = decisionRow(victim, byService(-1));
        await appendDecisions(db, [before, after], clock);
        await writeDeadLetters(db, [{ row: parked, reason: "22P05" }], clock);
        // Ahead: the decision made before the erasure used to be written (its time was past the
        // 10 s margin). Behind: the one made 3 s after it used to be skipped.
        expect({
          skewSeconds,
          logged: (await log.findByCustomer(victim)).map((r) => r.decisionId),
        }).toEqual({ skewSeconds, logged: [after.decisionId] });
        expect(await log.deadLettersOfCustomer(victim)).toEqual([]);
      }
    });

    test("the clock reading: the database's clock on one machine is this process's", async () => {
      const reading = await new DatabaseClock().reading(t.handle.db);
      expect(Math.abs(reading.offsetMs)).toBeLessThan(250);
      expect(reading.uncertaintyMs).toBeGreaterThanOrEqual(0);
      expect(reading.uncertaintyMs).toBeLessThan(250);
      const skewed = await new DatabaseClock(() => Date.now() - 60_000).reading(t.handle.db);
      expect(Math.abs(skewed.offsetMs - 60_000)).toBeLessThan(250);
    });

    test("a marker holds the hash, not the id, and is dropped after a day (erasure, retention)", async () => {
      const db = t.handle.db;
      await forgetCustomers(db, ["kept-a-day"]);
      await db.insert(customerErasures).values({
        customerSha256: await customerHash("erased-long-ago"),
        erasedAt: seconds(-25 * 3600),
      });
      await forgetCustomers(db, ["somebody"]);
      const markers = (await db.select().from(customerErasures)).map((m) => m.customerSha256);
      expect(markers).toContain(await customerHash("kept-a-day"));
      expect(markers).toContain(await customerHash("somebody"));
      expect(markers).not.toContain(await customerHash("erased-long-ago"));
      expect(markers.some((m) => m.includes("kept"))).toBe(false);
      // The decision log's retention prune drops expired markers too.
      await db.insert(customerErasures).values({
        customerSha256: await customerHash("erased-long-ago"),
        erasedAt: seconds(-25 * 3600),
      });
      await new DecisionLogRepository(db).pruneBefore(new Date(0));
      const after = (await db.select().from(customerErasures)).map((m) => m.customerSha256);
      expect(after).not.toContain(await customerHash("erased-long-ago"));
      expect(after).toContain(await customerHash("kept-a-day"));
    });

    test.skipIf(driver !== "postgres")(
      "an insert that starts while the erasure runs waits for it, then skips the row",
      async () => {
        const db = t.handle.db;
        const victim = "racing";
        let appended: Promise<number> | null = null;
        await db.transaction(async (tx) => {
          // The erasure's first statement locks the writers; another connection appends then.
          const erasing = eraseCustomerDecisions(tx, [victim], { forgotten: true });
          await Bun.sleep(50);
          appended = appendDecisions(db, [decisionRow(victim), decisionRow("bystander")]);
          await erasing;
          await Bun.sleep(300); // the append waits for this transaction meanwhile
        });
        await appended;
        const log = new DecisionLogRepository(db);
        expect(await log.findByCustomer(victim)).toEqual([]);
        expect(await log.findByCustomer("bystander")).toHaveLength(1);
      },
    );
  });
}
