// POST /decision with an Idempotency-Key, through app.request() on PGlite and PostgreSQL: a retry
// gets the decision already made (byte for byte, from the log, even after the forecast went
// down), one row per key whatever the number of attempts, a key is per API key, and a key reused
// for another request or malformed is refused naming the header.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { ERASURE_SLACK_MS } from "@pp/shared/registry/customer-erasures.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { eq, sql } from "drizzle-orm";
import { createApp } from "../app.ts";
import { hashApiKey } from "../auth/api-key-hash.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";
import {
  DecisionsInFlight,
  idempotencyKeyOf,
  idempotentDecisionId,
} from "./idempotent-decision.ts";

const KEY_A = "idempotency-key-a-0123456789";
const KEY_B = "idempotency-key-b-0123456789";
const actions = [
  { id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8 },
  { id: "call", cost: 6, uplift: 0.4, margin: 8 },
];
const body = (id: string) => ({ customer: { id }, horizon: { value: 13, unit: "week" }, actions });

/** POST /decision to `app` as `apiKey`, under an Idempotency-Key when given. */
const postDecision = (
  app: ReturnType<typeof createApp>,
  payload: unknown,
  apiKey: string,
  key?: string,
) =>
  app.request("/decision", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      Authorization: `Bearer ${apiKey}`,
      ...(key === undefined ? {} : { "Idempotency-Key": key }),
    },
    body: JSON.stringify(payload),
  });

test("the decision id of a key: a UUID (version 8), per caller and key", async () => {
  const id = await idempotentDecisionId("a", "k1");
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(await idempotentDecisionId("a", "k1")).toBe(id);
  expect(await idempotentDecisionId("b", "k1")).not.toBe(id);
  expect(await idempotentDecisionId("a", "k2")).not.toBe(id);
  expect(idempotencyKeyOf(undefined)).toBeNull();
  expect(idempotencyKeyOf("x".repeat(255))).toBe("x".repeat(255));
});

test("in flight: the same key and body share one decision; another body is a 409", async () => {
  const inFlight = new DecisionsInFlight();
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let decided = 0;
  const decide = async () => {
    decided++;
    await gate;
    return { json: "{}", decisionId: "d", decided: { n: 1 }, replayed: false };
  };
  const first = inFlight.run({ decisionId: "d", requestSha256: "h1" }, decide);
  const same = inFlight.run({ decisionId: "d", requestSha256: "h1" }, decide);
  expect(() => inFlight.run({ decisionId: "d", requestSha256: "h2" }, decide)).toThrow(
    expect.objectContaining({ code: "conflict" }),
  );
  release();
  expect(await first).toMatchObject({ decided: { n: 1 }, replayed: false });
  expect(await same).toMatchObject({ decided: null, replayed: true });
  expect(decided).toBe(1);
  // Done: the key is free again (the log, not this map, answers from now on).
  await inFlight.run({ decisionId: "d", requestSha256: "h2" }, decide);
  expect(decided).toBe(2);
});

test.each([
  [
    "refused",
    () =>
      Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })),
  ],
  // A server gone away without a word: the lookup is bounded like a commit, not left hanging.
  ["never answering", () => new Promise<never>(() => {})],
] as const)(
  "the log %s: a keyed request is a 503 to retry, never a second decision",
  async (_, database) => {
    const deps = buildDecisionDeps(
      parseConfig({ API_KEYS: KEY_A, DECISION_LOG_COMMIT_TIMEOUT_MS: "300" }),
      {
        runtime: "test",
        database,
        forecastTransport: inProcessTransport(
          forecastContractStub({ known: { "c-1": { expected_purchases: 1, p_alive: 1 } } }).app,
        ),
        overrides: { logger: createLogger({ sink: () => {} }) },
      },
    );
    const res = await postDecision(createApp(deps), body("c-1"), KEY_A, "down-1");
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "Idempotency-Key",
    );
    await deps.audit.close(1000);
  },
  10_000,
);

for (const driver of testDrivers()) {
  describe(`Idempotency-Key on ${driver}`, () => {
    let testDb: TestDatabase;
    let deps: DecisionDeps;
    let app: ReturnType<typeof createApp>;
    const stub = forecastContractStub({
      known: Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [
          `c-${i}`,
          { expected_purchases: 1 + i / 10, p_alive: 0.8 },
        ]),
      ),
    });

    /** A service process on this test's store and forecast, accepting `apiKeys` (API_KEYS). */
    const depsWithKeys = (apiKeys: string) =>
      buildDecisionDeps(parseConfig({ API_KEYS: apiKeys, FORECAST_BREAKER_FAILURES: "1000" }), {
        runtime: "test",
        database: async () => testDb.handle.db,
        forecastTransport: inProcessTransport(stub.app),
        overrides: { logger: createLogger({ sink: () => {} }) },
      });

    beforeAll(async () => {
      testDb = await openTestDatabase(driver);
      deps = depsWithKeys(`${KEY_A},${KEY_B}`);
      app = createApp(deps);
    }, 60_000);
    afterAll(async () => {
      await deps.audit.close(5000);
      await testDb.cleanup();
    });

    const decide = (payload: unknown, key?: string, apiKey = KEY_A) =>
      postDecision(app, payload, apiKey, key);
    const rowsOf = (decisionId: string) =>
      testDb.handle.db.select().from(decisionLog).where(eq(decisionLog.decisionId, decisionId));
    /** POST /decision/batch under an Idempotency-Key. */
    const sendBatch = (payload: unknown, key: string) =>
      app.request("/decision/batch", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          Authorization: `Bearer ${KEY_A}`,
          "Idempotency-Key": key,
        },
        body: JSON.stringify(payload),
      });
    const rowsAbout = (customerId: string) =>
      testDb.handle.db.select().from(decisionLog).where(eq(decisionLog.customerId, customerId));

    test("a retry gets the first answer byte for byte, from the log: one row", async () => {
      stub.state.mode = "ok";
      const first = await decide(body("c-1"), "order-1001");
      const text = await first.text();
      expect(first.status).toBe(200);
      expect(first.headers.get("Idempotent-Replayed")).toBeNull();
      const answer = JSON.parse(text) as {
        decision_id: string;
        chosen: string;
        fallback?: unknown;
      };
      // An API_KEYS entry is named by its hash: the id is fixed by that name and the key.
      const caller = `env:${(await hashApiKey(KEY_A)).slice(0, 8)}`;
      expect(answer.decision_id).toBe(await idempotentDecisionId(caller, "order-1001"));
      expect(answer.fallback).toBeUndefined();
      // The forecast goes down: a decision made now would be the policy's fallback.
      stub.state.mode = "down";
      const calls = stub.state.calls;
      const again = await decide(body("c-1"), "order-1001");
      expect(again.status).toBe(200);
      expect(again.headers.get("Idempotent-Replayed")).toBe("true");
      expect(await again.text()).toBe(text);
      expect(stub.state.calls).toBe(calls); // answered from the log, nothing recomputed
      stub.state.mode = "ok";
      const rows = await rowsOf(answer.decision_id);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.chosenAction).toBe(answer.chosen);
      const metrics = await (await app.request("/metrics")).text();
      expect(metrics).toContain('decision_idempotent_replays_total{kind="single"} 1');
      expect(again.headers.get("X-Request-Id")).toBeTruthy();
    });

    test("concurrent attempts with one key: one decision, one row, every answer the same", async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => decide(body("c-2"), "order-1002")),
      );
      const texts = await Promise.all(answers.map((r) => r.text()));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(texts).size).toBe(1);
      expect(answers.filter((r) => r.headers.get("Idempotent-Replayed") === "true")).toHaveLength(
        19,
      );
      expect(await rowsAbout("c-2")).toHaveLength(1);
      // The same key with another body while the first is in flight: 409, nothing written.
      const [one, other] = await Promise.all([
        decide(body("c-20"), "order-1020"),
        decide(body("c-21"), "order-1020"),
      ]);
      // Whichever got there first decides; the other is refused (409 while the first is in
      // flight, 422 once it is in the log) and leaves no row.
      const statuses = [one.status, other.status].sort();
      expect(statuses[0]).toBe(200);
      expect([409, 422]).toContain(statuses[1] as number);
      const rows = [(await rowsAbout("c-20")).length, (await rowsAbout("c-21")).length];
      expect(rows).toEqual(one.status === 200 ? [1, 0] : [0, 1]);
    });

    test("keys are per API key; without a key every request is a new decision", async () => {
      const a = (await (await decide(body("c-3"), "shared-key")).json()) as { decision_id: string };
      const b = (await (await decide(body("c-3"), "shared-key", KEY_B)).json()) as {
        decision_id: string;
      };
      expect(a.decision_id).not.toBe(b.decision_id);
      await decide(body("c-3"));
      await decide(body("c-3"));
      expect(await rowsAbout("c-3")).toHaveLength(4);
    });

    test("after a restart with API_KEYS reordered, a retry is still answered from the log", async () => {
      const first = await decide(body("c-8"), "order-1006", KEY_B);
      expect(first.status).toBe(200);
      const text = await first.text();
      // The same store, a new process whose API_KEYS lists the keys the other way round.
      const restarted = depsWithKeys(`${KEY_B},${KEY_A}`);
      try {
        const again = await postDecision(createApp(restarted), body("c-8"), KEY_B, "order-1006");
        // By position, KEY_B was "env:2" and became "env:1": the retry decided again.
        expect(again.headers.get("Idempotent-Replayed")).toBe("true");
        expect(await again.text()).toBe(text);
        expect(await rowsAbout("c-8")).toHaveLength(1);
      } finally {
        await restarted.audit.close(5000);
      }
    });

    test("a key reused for another request is a 422 naming the header; nothing is written", async () => {
      const first = await decide(body("c-4"), "order-1004");
      expect(first.status).toBe(200);
      const other = await decide(body("c-5"), "order-1004");
      expect(other.status).toBe(422);
      const error = (await other.json()) as { error: { details: Array<{ path: string }> } };
      expect(error.error.details[0]?.path).toBe("Idempotency-Key");
      expect(await rowsAbout("c-5")).toHaveLength(0);
      // The same customer with other actions is another request too.
      const cheaper = { ...body("c-4"), actions: [{ ...actions[0], cost: 0.25 }] };
      expect((await decide(cheaper, "order-1004")).status).toBe(422);
      expect(await rowsAbout("c-4")).toHaveLength(1);
    });

    test("one key on both routes: the second is a 422 naming the route the key was used on", async () => {
      // Both answered 200 and decided twice about the same customer, one key.
      const batch = {
        customers: [{ id: "c-40" }, { id: "c-41" }],
        horizon: { value: 13, unit: "week" },
        actions,
        budget: 2,
      };
      expect((await decide(body("c-40"), "cross-1")).status).toBe(200);
      const refused = await sendBatch(batch, "cross-1");
      expect(refused.status).toBe(422);
      const error = ((await refused.json()) as { error: { message: string; details: unknown } })
        .error;
      expect(error.message).toContain("was used for a POST /decision request");
      expect(error.details).toEqual([
        { path: "Idempotency-Key", message: "already used on POST /decision" },
      ]);
      expect(await rowsAbout("c-40")).toHaveLength(1);
      expect(await rowsAbout("c-41")).toHaveLength(0);

      expect((await sendBatch(batch, "cross-2")).status).toBe(200);
      const single = await decide(body("c-41"), "cross-2");
      expect(single.status).toBe(422);
      expect(await single.text()).toContain("was used for a POST /decision/batch request");
      expect(await rowsAbout("c-41")).toHaveLength(1);
    });

    test("one key on both routes at once: one is answered 200, the other refused, only its rows", async () => {
      // Each route checked the log, found nothing and decided: the batch's row was written beside
      // the single decision's (and both answered 422 when each then found the other's row).
      for (let i = 0; i < 8; i++) {
        const [a, b] = [`cc-${i}-a`, `cc-${i}-b`];
        const summary = { frequency: 2, recency: 5, T: 10 };
        const customer = { id: a, summary };
        const batch = {
          customers: [customer, { id: b, summary }],
          horizon: body(a).horizon,
          actions,
        };
        const [single, batched] = await Promise.all([
          decide({ ...body(a), customer }, `cross-at-once-${i}`),
          sendBatch({ ...batch, budget: 2 }, `cross-at-once-${i}`),
        ]);
        const statuses = [single.status, batched.status];
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.every((s) => [200, 409, 422].includes(s))).toBe(true);
        const rows = [(await rowsAbout(a)).length, (await rowsAbout(b)).length];
        expect(rows).toEqual(single.status === 200 ? [1, 0] : [1, 1]);
      }
    });

    test("a keyed batch: the retry gets the same bytes, no row is added, no id is kept in another's row", async () => {
      const batch = {
        // An unknown customer (an error naming it) and ids that look alike (a repeated one is a
        // 400: decision-routes.test.ts).
        customers: ["c-10", "c-11", "nobody-\u00e9\u{1F600}", "c-1", "c-12"].map((id) => ({
          id,
        })),
        horizon: { value: 13, unit: "week" },
        actions,
        budget: 2,
      };
      const send = sendBatch;
      const first = await send(batch, "campaign-7");
      const text = await first.text();
      expect(first.status).toBe(200);
      const answer = JSON.parse(text) as {
        batch_id: string;
        considered: number;
        errors: unknown[];
      };
      expect(answer.errors).toHaveLength(1);
      const rows = () =>
        testDb.handle.db
          .select()
          .from(decisionLog)
          .where(sql`${decisionLog.inputs}->>'batch_id' = ${answer.batch_id}`);
      const written = await rows();
      expect(written).toHaveLength(answer.considered);
      stub.state.mode = "down";
      const again = await send(batch, "campaign-7");
      stub.state.mode = "ok";
      expect(again.headers.get("Idempotent-Replayed")).toBe("true");
      expect(await again.text()).toBe(text);
      expect(await rows()).toHaveLength(answer.considered);
      // The row that keeps the answer names customers by position only.
      const kept = written
        .map((r) => (r.scores as { answer_json?: string }).answer_json)
        .filter(Boolean);
      expect(kept).toHaveLength(1);
      for (const id of ["c-10", "c-11", "c-12", "nobody"]) expect(kept[0]).not.toContain(id);
      // Another body under the key: 422; the key on /decision is another key's space.
      expect((await send({ ...batch, budget: 3 }, "campaign-7")).status).toBe(422);
      const metrics = await (await app.request("/metrics")).text();
      expect(metrics).toContain('decision_idempotent_replays_total{kind="batch"} 1');
    });

    /**
     * The erased-answer scenario on customers `held` (its row keeps the batch's answer) and
     * `other`, under keys `final` and `fresh`. False when the new key's decision came later than
     * ERASURE_SLACK_MS after the erasure began (a 200 is then right: 1.6 s was seen under load),
     * so nothing it checks was proven and it is run again on other customers and keys.
     */
    async function erasedAnswerScenario(
      [held, other]: [string, string],
      [final, fresh]: [string, string],
    ): Promise<boolean> {
      const batch = {
        customers: [{ id: held }, { id: other }],
        horizon: { value: 13, unit: "week" },
        actions,
        budget: 10,
      };
      const send = (key: string) => sendBatch(batch, key);
      expect((await send(final)).status).toBe(200);
      const before = await rowsAbout(other);
      expect(before).toHaveLength(1);
      // `held`'s row kept the batch's answer: erasing it ends its replays.
      const erasing = performance.now();
      await new DecisionLogRepository(testDb.handle.db).eraseCustomer(held);
      // A new key at once: `held`'s row (which would keep the answer) is skipped as decided
      // within the erasure's second, so the batch is a 409 naming customer_id. It was a 200 whose
      // answer no row kept, with `held`'s decision id missing from the log.
      const soon = await send(fresh);
      // The decision was made before its answer, the marker after `erasing`: a 200 within the
      // slack is the bug; past it, the scenario proved nothing and is run again.
      const tookMs = performance.now() - erasing;
      if (soon.status === 200 && tookMs >= ERASURE_SLACK_MS) {
        console.error(`erased answer row: a 200 ${tookMs.toFixed(0)} ms after the erasure began`);
        return false;
      }
      const ms = Math.round(tookMs);
      expect({ status: soon.status, ms }).toEqual({ status: 409, ms });
      expect(soon.headers.get("retry-after")).toBe("2");
      // The one "customer erased" error, saying the same key may be sent again, and when.
      const refused = (await soon.json()) as {
        error: { message: string; details: Array<{ path: string; message: string }> };
      };
      expect(refused.error.message).toStartWith(`Customer "${held}": `);
      expect(refused.error.message).toContain("the same Idempotency-Key may be sent again");
      expect(refused.error.details).toEqual([
        {
          path: "customer_id",
          message: expect.stringMatching(/ after 2 s, with this Idempotency-Key or another$/),
        },
      ]);
      // Nothing stays under that key: `other`'s row was skipped with the answer row (it stayed,
      // and the key's every retry was a 409 asking for another key).
      expect(await rowsAbout(other)).toEqual(before);
      // The first key's replay: a 409 final, whenever it comes.
      const again = await send(final);
      expect(again.status).toBe(409);
      const { error } = (await again.json()) as { error: { message: string; details: unknown } };
      expect(error.message).toContain("This is final");
      expect(again.headers.get("retry-after")).toBeNull();
      expect(error.details).toEqual([
        {
          path: "Idempotency-Key",
          message:
            "refused for good: its batch's answer was erased with a customer's decisions; use a new key",
        },
      ]);
      expect(await rowsAbout(other)).toEqual(before);
      // The new key past that second decides, then replays.
      await Bun.sleep(2000);
      const retried = await send(fresh);
      expect(retried.status).toBe(200);
      expect(retried.headers.get("Idempotent-Replayed")).toBeNull();
      expect(await rowsAbout(held)).toHaveLength(1);
      expect(await rowsAbout(other)).toHaveLength(2);
      const replay = await send(fresh);
      expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
      expect(await replay.text()).toBe(await retried.text());
      return true;
    }

    test("a keyed batch whose answer row was erased: a 409 final for that key; skipped at its record, one to retry with the same key", async () => {
      // At most three runs, each on customers and keys of its own (a slow one leaves rows).
      const runs: Array<[[string, string], [string, string]]> = [
        [
          ["c-44", "c-45"],
          ["erased-7", "erased-8"],
        ],
        [
          ["c-48", "c-49"],
          ["erased-7b", "erased-8b"],
        ],
        [
          ["c-42", "c-43"],
          ["erased-7c", "erased-8c"],
        ],
      ];
      let proven = false;
      for (const [customers, keys] of runs) {
        proven = await erasedAnswerScenario(customers, keys);
        if (proven) break;
      }
      expect(proven).toBe(true);
    });

    // The answer row keeps every member's decision by position: erasing another member (c-47)
    // left their action, profit and decision id there, replayed on the next retry (a probe: the
    // batch's replay after `ml forget 21` still answered 21's email at 39.61 and its decision id).
    test("a keyed batch another of whose customers was erased: their decision is gone from the answer row, a replay is a 409", async () => {
      const batch = {
        customers: [{ id: "c-46" }, { id: "c-47" }],
        horizon: { value: 13, unit: "week" },
        actions,
        budget: 10,
      };
      const first = await sendBatch(batch, "erased-9");
      expect(first.status).toBe(200);
      const { selected } = (await first.json()) as {
        selected: Array<{ id: number; decision_id: string }>;
      };
      const erasedId = selected.find((s) => s.id === 1)?.decision_id; // c-47's, by position
      const [kept] = await rowsAbout("c-46");
      expect(JSON.stringify(kept?.scores)).toContain("answer_json");
      await new DecisionLogRepository(testDb.handle.db).eraseCustomer("c-47");
      const [after] = await rowsAbout("c-46");
      expect(JSON.stringify(after?.scores)).not.toContain("answer_json");
      if (erasedId) expect(JSON.stringify(after)).not.toContain(erasedId);
      const again = await sendBatch(batch, "erased-9");
      expect(again.status).toBe(409);
      expect(await rowsAbout("c-46")).toHaveLength(1);
    });

    test("malformed keys are a 400 naming the header, before any decision", async () => {
      for (const key of ["", "has space", "x".repeat(256), "caf\u00e9", "tab\there"]) {
        const res = await decide(body("c-6"), key);
        const error = (await res.json()) as { error: { details?: Array<{ path: string }> } };
        expect({ key, status: res.status, path: error.error.details?.[0]?.path }).toEqual({
          key,
          status: 400,
          path: "Idempotency-Key",
        });
      }
      expect(await rowsAbout("c-6")).toHaveLength(0);
    });

    test("hostile bodies under a key: stored and replayed as sent, or refused and not stored", async () => {
      const hostile = {
        ...body("c-7"),
        actions: [{ id: "\u{1F600}-\uFFFD-x", cost: 1e-300, uplift: 0.999, margin: 1e12 }],
      };
      const first = await decide(hostile, "hostile-1");
      const text = await first.text();
      expect(first.status).toBe(200);
      const again = await decide(hostile, "hostile-1");
      expect(await again.text()).toBe(text);
      const nul = await decide({ ...body("c-8\u0000"), actions }, "hostile-2");
      expect(nul.status).toBe(400);
      const lone = await decide({ ...body("c-\uD800"), actions }, "hostile-3");
      expect(lone.status).toBe(400);
      expect(await rowsAbout("c-7")).toHaveLength(1);
    });

    test("1e308 under a key: an action or a summary out of range is a 400 that leaves the key free", async () => {
      // Cost and margin are at most 1e12 (before, 2 × 100 × 1e308 overflowed and was answered and
      // kept as expected_profit null): a 400 naming both, and nothing decided under the key.
      const huge = {
        ...body("c-30"),
        actions: [{ id: "big", cost: 1e308, uplift: 100, margin: 1e308 }],
      };
      const first = await decide(huge, "huge-1");
      const paths = (
        (await first.json()) as { error: { details: Array<{ path: string }> } }
      ).error.details
        .map((d) => d.path)
        .sort();
      expect({ status: first.status, paths }).toEqual({
        status: 400,
        paths: ["actions.0.cost", "actions.0.margin"],
      });
      const decided = await decide(body("c-30"), "huge-1");
      expect({
        status: decided.status,
        replayed: decided.headers.get("Idempotent-Replayed"),
      }).toEqual({ status: 200, replayed: null });
      const again = await decide(body("c-30"), "huge-1");
      expect({ status: again.status, replayed: again.headers.get("Idempotent-Replayed") }).toEqual({
        status: 200,
        replayed: "true",
      });
      expect(await rowsAbout("c-30")).toHaveLength(1);

      const summary = { frequency: 1e308, recency: 1e308, T: 1e308, monetary: 1e308 };
      const refused = await decide(
        { ...body("c-31"), customer: { id: "c-31", summary } },
        "huge-2",
      );
      const error = (await refused.json()) as { error: { details: Array<{ path: string }> } };
      expect(refused.status).toBe(400);
      expect(error.error.details.map((d) => d.path)).toContain("customer.summary.frequency");
      // Nothing was decided under the key: the same key with a valid body decides now.
      const valid = await decide(body("c-31"), "huge-2");
      expect({ status: valid.status, replayed: valid.headers.get("Idempotent-Replayed") }).toEqual({
        status: 200,
        replayed: null,
      });
      expect(await rowsAbout("c-31")).toHaveLength(1);
    });
  });
}
