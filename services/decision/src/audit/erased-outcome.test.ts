// Both decision logs (the group-commit one of Bun/Node/Deno and the Workers' write-through one)
// tell each request which of its rows the database skipped because the customer was erased moments
// ago, so the route refuses those decisions (409) instead of answering 200 for an unlogged row. On
// PGlite and on PostgreSQL, through the real sink; a group shared by several requests settles each
// with its own rows only.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { DecisionLogRepository, eraseCustomerDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { BufferedAuditLog } from "./audit-log.ts";
import { decisionLogSink } from "./decision-log-sink.ts";
import { WriteThroughAuditLog } from "./write-through-audit-log.ts";

for (const driver of testDrivers()) {
  describe(`erased rows named to their requests on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      await t.handle.db.transaction((tx) =>
        eraseCustomerDecisions(tx, ["gone"], { forgotten: false }),
      );
    });
    afterAll(async () => {
      await t?.cleanup();
    });
    const sink = () => decisionLogSink(async () => t.handle.db);
    const stored = async (id: string) =>
      (await new DecisionLogRepository(t.handle.db).getMany([id])).length;

    test("group commit: each request hears of its own skipped rows; the others are logged", async () => {
      const metrics = new MetricsRegistry();
      const log = new BufferedAuditLog({ sink: sink(), metrics });
      const erased = decisionRow("gone");
      const kept = decisionRow("here");
      const mixedErased = decisionRow("gone");
      const mixed = [decisionRow("here"), mixedErased];
      // Sent together: one group, one insert.
      const [a, b, c] = await Promise.all([
        log.record([erased]),
        log.record([kept]),
        log.record(mixed),
      ]);
      expect([...a.erased]).toEqual([erased.decisionId]);
      expect([...b.erased]).toEqual([]);
      expect([...c.erased]).toEqual([mixedErased.decisionId]);
      expect(await stored(kept.decisionId)).toBe(1);
      expect(await stored(erased.decisionId)).toBe(0);
      // Sent again (already logged): not erased, a success.
      expect([...(await log.record([kept])).erased]).toEqual([]);
      expect(metrics.expose()).toContain("decision_log_erased_rows_total 2");
      await log.close();
    });

    test("write-through (Workers): the same outcome", async () => {
      const metrics = new MetricsRegistry();
      const log = new WriteThroughAuditLog({ sink: sink(), metrics });
      const erased = decisionRow("gone");
      const kept = decisionRow("here");
      const outcome = await log.record([erased, kept]);
      expect([...outcome.erased]).toEqual([erased.decisionId]);
      expect(await stored(kept.decisionId)).toBe(1);
      expect(metrics.expose()).toContain("decision_log_erased_rows_total 1");
    });

    test("the sink names skipped rows in lower case; an id sent in upper case is still matched", async () => {
      const shouted = decisionRow("gone", new Date(), {
        decisionId: crypto.randomUUID().toUpperCase(),
      });
      const id = shouted.decisionId.toLowerCase();
      expect(await sink().write([shouted])).toEqual({ written: 0, erased: [id] });
      const group = new BufferedAuditLog({ sink: sink() });
      expect([...(await group.record([shouted])).erased]).toEqual([id]);
      await group.close();
      const through = new WriteThroughAuditLog({ sink: sink() });
      expect([...(await through.record([shouted])).erased]).toEqual([id]);
    });
  });
}
