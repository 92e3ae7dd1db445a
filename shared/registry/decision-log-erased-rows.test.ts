// The decision log's append says which rows it skipped because their customer was erased since
// they were decided (the decision service refuses those decisions instead of answering 200), on
// both drivers: not rows already logged (a re-send is a success), not other customers' rows, not
// a keyed batch's rows that lost their key; and an insert that wrote every row reads nothing more.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { decisionRow } from "../testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import { appendDecisionsReporting, eraseCustomerDecisions } from "./decision-log.ts";

setDefaultTimeout(60_000);

for (const driver of testDrivers()) {
  describe(`erased rows reported on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    test("the rows an erasure skipped, by id; re-sent and other rows are not among them", async () => {
      const db = t.handle.db;
      const logged = decisionRow("bystander");
      expect(await appendDecisionsReporting(db, [logged])).toEqual({ written: 1, erased: [] });
      await db.transaction((tx) => eraseCustomerDecisions(tx, ["victim"], { forgotten: false }));
      const inWindow = [decisionRow("victim"), decisionRow("victim")];
      const other = decisionRow("bystander");
      const later = decisionRow("victim", new Date(Date.now() + 5000));
      const outcome = await appendDecisionsReporting(db, [...inWindow, logged, other, later]);
      expect(outcome.written).toBe(2);
      expect(outcome.erased.sort()).toEqual(inWindow.map((r) => r.decisionId).sort());
    });

    test("more than one insert's rows (a batch of 2,500): each part's skips", async () => {
      const db = t.handle.db;
      await db.transaction((tx) => eraseCustomerDecisions(tx, ["many"], { forgotten: false }));
      const rows = Array.from({ length: 2500 }, (_, i) =>
        decisionRow(i % 1000 === 7 ? "many" : `k${i}`),
      );
      const outcome = await appendDecisionsReporting(db, rows);
      expect(outcome.written).toBe(2497);
      expect(outcome.erased).toHaveLength(3);
    });
  });
}
