// The decision log sink (one jsonb parameter per INSERT) stores exactly what Drizzle's own
// multi-row insert stores, is idempotent, and handles more rows than one statement takes; on
// PGlite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "@pp/shared/db/database.ts";
import { decisionLog, type NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { asc, inArray } from "drizzle-orm";
import { decisionLogSink } from "./decision-log-sink.ts";

function rowsLike(prefix: number, n: number): NewDecisionLogRow[] {
  return Array.from({ length: n }, (_, i) => ({
    decisionId: `${prefix.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    decidedAt: new Date(Date.UTC(2026, 10, 28, 12, 0, 0, i % 1000)),
    customerId: i % 3 === 0 ? `c-${i}` : `kund "ö" \\ ${i} 🙂`,
    inputs: {
      kind: i % 2 ? "single" : "batch",
      horizon: { value: 26.5, unit: "week" },
      actions: [{ id: "email", cost: 0.1 + 0.2, uplift: 1e-7, margin: 12 }],
      customer: { id: `c-${i}`, summary: i % 4 ? undefined : { frequency: 2, recency: 1.5, T: 3 } },
    },
    chosenAction: i % 5 ? "email" : "none",
    scores: { ranked: [{ id: "email", expected_profit: i / 7, eligible: true }], forecast: null },
    policyName: "default",
    policyVersion: 1 + (i % 3),
    modelName: "clv",
    modelVersion: 7,
    // Campaign decisions carry their campaign, group and would-have action.
    ...(i % 4 === 1
      ? {
          campaignId: "spring-24",
          assignmentGroup: i % 8 === 1 ? "control" : "treated",
          wouldHaveAction: "email",
        }
      : {}),
  }));
}

async function stored(db: Database, ids: string[]) {
  const rows = await db
    .select()
    .from(decisionLog)
    .where(inArray(decisionLog.decisionId, ids))
    .orderBy(asc(decisionLog.decisionId));
  // Compared without the id (the reference rows carry other ids).
  return rows.map(({ decisionId: _, ...rest }) => rest);
}

for (const driver of testDrivers()) {
  describe(`decision log sink on ${driver}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
    }, 60_000);
    afterAll(async () => {
      await t?.cleanup();
    });

    test("stores what Drizzle's insert stores; a re-sent batch adds nothing", async () => {
      const db = t.handle.db;
      const mine = rowsLike(1, 40);
      const reference = rowsLike(2, 40);
      await decisionLogSink(async () => db).write(mine);
      await decisionLogSink(async () => db).write(mine);
      await db.insert(decisionLog).values(reference).onConflictDoNothing();
      const a = await stored(
        db,
        mine.map((r) => r.decisionId),
      );
      const b = await stored(
        db,
        reference.map((r) => r.decisionId),
      );
      expect(a.length).toBe(40);
      expect(a).toEqual(b);
    });

    test("a row without decidedAt gets the column default; 2,500 rows go in one transaction", async () => {
      const db = t.handle.db;
      const [row] = rowsLike(3, 1);
      const before = Date.now();
      await decisionLogSink(async () => db).write([
        { ...(row as NewDecisionLogRow), decidedAt: undefined },
      ]);
      const [back] = await stored(db, [(row as NewDecisionLogRow).decisionId]);
      expect(back?.decidedAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
      const many = rowsLike(4, 2500);
      await decisionLogSink(async () => db).write(many);
      expect(
        (
          await stored(
            db,
            many.map((r) => r.decisionId),
          )
        ).length,
      ).toBe(2500);
    });
  });
}
