// The Workers' decision log (write-through: each request writes its own rows) at the routes, on
// PGlite and PostgreSQL with a real erasure just before: a decision about the erased customer is
// a 409 naming customer_id, a batch answers them as a conflict item, a keyed batch's stored
// answer is the one answered, and a keyed batch whose answer row was skipped leaves no row.
// (erased-outcome.test.ts covers the same log at its own level only.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { eraseCustomerDecisions } from "@pp/shared/registry/decision-log.ts";
import { type TestDatabase, testDrivers } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { WriteThroughAuditLog } from "../audit/write-through-audit-log.ts";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const API_KEY = "write-through-erased-key-0123456789";
const ERASED = "wt-gone";
const OTHER = "wt-here";
const horizon = { value: 13, unit: "week" };
const actions = [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }];

interface Answered {
  decision_id?: string;
  selected?: Array<{ id: string; decision_id: string }>;
  errors?: Array<{ id: string; error: { code: string } }>;
  error?: { code: string; details?: Array<{ path: string }> };
}

for (const driver of testDrivers()) {
  describe(`write-through decision log (Workers) on ${driver}: a customer erased moments ago`, () => {
    let decision: DecisionTestApp;
    let t: TestDatabase;
    let app: DecisionTestApp["app"];

    beforeAll(async () => {
      decision = await openDecisionTestApp(
        { API_KEYS: API_KEY },
        {
          driver,
          writeThrough: true,
          forecast: {
            known: {
              [ERASED]: { expected_purchases: 2, p_alive: 0.9 },
              [OTHER]: { expected_purchases: 3, p_alive: 0.8 },
            },
          },
        },
      );
      ({ app, testDb: t } = decision);
    }, 60_000);
    afterAll(() => decision?.close());

    const post = async (path: string, body: unknown, key?: string) => {
      const res = await app.request(path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          Authorization: `Bearer ${API_KEY}`,
          ...(key ? { "Idempotency-Key": key } : {}),
        },
        body: JSON.stringify(body),
      });
      return { res, text: await res.text() };
    };
    const batch = (ids: string[]) => ({
      customers: ids.map((id) => ({ id })),
      horizon,
      actions,
      budget: 100,
    });
    const logged = async (ids: string[]) => {
      const found = [];
      for (const id of ids) {
        const rows = await t.handle.db
          .select({ id: decisionLog.decisionId })
          .from(decisionLog)
          .where(eq(decisionLog.decisionId, id));
        found.push(...rows.map((r) => r.id));
      }
      return found;
    };
    const rowsAbout = (customerId: string) =>
      t.handle.db.$count(decisionLog, eq(decisionLog.customerId, customerId));

    test("409 for the single decision, a conflict item in batches, nothing the log lacks", async () => {
      expect(decision.deps.audit).toBeInstanceOf(WriteThroughAuditLog);
      await t.handle.db.transaction((tx) =>
        eraseCustomerDecisions(tx, [ERASED], { forgotten: false }),
      );
      const single = await post("/decision", { customer: { id: ERASED }, horizon, actions });
      expect(single.res.status).toBe(409);
      expect(single.res.headers.get("retry-after")).toBe("2");
      expect((JSON.parse(single.text) as Answered).error?.details?.[0]?.path).toBe("customer_id");

      const plain = await post("/decision/batch", batch([OTHER, ERASED]));
      const keyed = await post("/decision/batch", batch([OTHER, ERASED]), "wt-key-1");
      for (const { res, text } of [plain, keyed]) {
        expect(res.status).toBe(200);
        const answer = JSON.parse(text) as Answered;
        expect(answer.selected?.map((s) => s.id)).toEqual([OTHER]);
        expect(answer.errors?.map((e) => [e.id, e.error.code])).toEqual([[ERASED, "conflict"]]);
        const ids = answer.selected?.map((s) => s.decision_id) ?? [];
        expect(await logged(ids)).toEqual(ids);
      }
      // The keyed batch's replay is the answer given, from the row the write-through log amended.
      const replay = await post("/decision/batch", batch([OTHER, ERASED]), "wt-key-1");
      expect(replay.res.headers.get("Idempotent-Replayed")).toBe("true");
      expect(replay.text).toBe(keyed.text);

      // The erased customer first: their row would keep the answer; nothing is logged under it.
      const before = await rowsAbout(OTHER);
      const holder = await post("/decision/batch", batch([ERASED, OTHER]), "wt-key-2");
      expect(holder.res.status).toBe(409);
      expect((JSON.parse(holder.text) as Answered).error?.details?.[0]?.path).toBe("customer_id");
      expect(await rowsAbout(OTHER)).toBe(before);
      expect(await rowsAbout(ERASED)).toBe(0);
    });
  });
}
