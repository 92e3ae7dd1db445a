// One Idempotency-Key sent to POST /decision on one decision service and to POST /decision/batch
// on another, on one database, at the same moment: one of them decides and the other is refused.
// Each service's in-flight guard sees only its own requests, and the routes kept their answers
// under different ids, so the database let both in: a probe's 29 of 30 keys left two decisions,
// 10 of them with no 200 at all (both routes answered 422).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { envKeyName } from "@pp/shared/http/static-api-keys.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { testDrivers } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";
import { idempotentDecisionId, KEYED_ROUTE } from "./idempotent-decision.ts";

const KEY = "two-services-key-0123456789";
const KEYS = 20;

for (const driver of testDrivers()) {
  describe(`one key on both routes of two services (${driver})`, () => {
    let a: DecisionTestApp;
    let b: DecisionTestApp;
    beforeAll(async () => {
      a = await openDecisionTestApp({ API_KEYS: KEY }, { driver });
      b = await openDecisionTestApp({ API_KEYS: KEY }, { sharing: a.testDb });
    }, 60_000);
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    const post = (t: DecisionTestApp, path: string, key: string, body: unknown) =>
      t.app.request(path, {
        method: "POST",
        headers: {
          authorization: `Bearer ${KEY}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body: JSON.stringify(body),
      });

    test(`${KEYS} keys: one 200 each, the other route refused, only the winner's rows logged`, async () => {
      const horizon = { value: 13, unit: "week" };
      const actions = [{ id: "email", cost: 1, uplift: 0.1, margin: 8 }];
      const outcomes: string[] = [];
      for (let k = 0; k < KEYS; k++) {
        const customer = { id: `two-${driver}-${k}`, summary: { frequency: 2, recency: 5, T: 10 } };
        const key = `order-${driver}-${k}`;
        const [single, batch] = await Promise.all([
          post(a, "/decision", key, { customer, horizon, actions }),
          post(b, "/decision/batch", key, { customers: [customer], horizon, actions, budget: 100 }),
        ]);
        const log = new DecisionLogRepository(a.testDb.handle.db);
        const n = (await log.findByCustomer(customer.id)).length;
        outcomes.push(`${single.status}/${batch.status}/${n}`);
      }
      const good = outcomes.filter((o) => /^(200\/4(09|22)|4(09|22)\/200)\/1$/.test(o));
      expect(good.length, outcomes.join(" ")).toBe(KEYS);
    }, 120_000);

    test("a batch kept under its own id (before both routes shared one) still replays, and refuses /decision", async () => {
      const horizon = { value: 13, unit: "week" };
      const actions = [{ id: "email", cost: 1, uplift: 0.1, margin: 8 }];
      const customers = [1, 2].map((i) => ({
        id: `legacy-${driver}-${i}`,
        summary: { frequency: 2, recency: 5, T: 10 },
      }));
      const body = { customers, horizon, actions, budget: 100 };
      const first = await post(b, "/decision/batch", "legacy-key", body);
      expect(first.status).toBe(200);
      const answer = await first.text();
      // As the earlier code kept it: the answer row under id(caller, key + "\nbatch"), unmarked.
      const caller = envKeyName(await sha256Hex(new TextEncoder().encode(KEY)));
      const shared = await idempotentDecisionId(caller, "legacy-key");
      const legacy = await idempotentDecisionId(caller, "legacy-key\nbatch");
      const db = a.testDb.handle.db;
      await db.execute(sql`update decision_log set decision_id = ${legacy}::uuid,
        inputs = inputs - ${KEYED_ROUTE} where decision_id = ${shared}::uuid`);
      await db.execute(sql`update decision_log set inputs = jsonb_set(inputs, '{answer_row}', to_jsonb(${legacy}::text))
        where inputs->>'answer_row' = ${shared}`);
      const log = new DecisionLogRepository(db);
      expect((await log.getMany([shared, legacy])).map((r) => r.decisionId)).toEqual([legacy]);
      const again = await post(a, "/decision/batch", "legacy-key", body);
      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await again.text()).toBe(answer);
      const single = await post(a, "/decision", "legacy-key", {
        customer: customers[0],
        horizon,
        actions,
      });
      expect(single.status).toBe(422);
      for (const c of customers) expect((await log.findByCustomer(c.id)).length).toBe(1);
    });
  });
}
