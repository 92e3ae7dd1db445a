// A batch's answer, pinned byte for byte (its sha256): speed work on the batch path (validation,
// the forecast answer's reading, the rows, the JSON) must not change one byte of what is answered.
// Keyed, so the batch and decision ids are fixed; the forecast is the contract stub.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const KEY = "pinned-batch-key-0123456789";
let t: DecisionTestApp;

beforeAll(async () => {
  t = await openDecisionTestApp({ API_KEYS: KEY });
}, 30_000);

afterAll(() => t.close());

/** 400 customers: summaries of every kind, a few the forecast cannot score, ids in any order. */
const customers = Array.from({ length: 400 }, (_, i) =>
  i % 97 === 5
    ? { id: `unknown-${i}` }
    : {
        id: `c-${(i * 7919) % 1000}-${i}`,
        summary: { frequency: 1 + ((i * 13) % 17), recency: (i * 5) % 40, T: 40 + (i % 9) },
      },
);
const body = {
  customers,
  horizon: { value: 26, unit: "week" },
  actions: [
    { id: "email", cost: 0.3, uplift: 0.1, margin: 12 },
    { id: "sms", cost: 0.8, uplift: 0.18, margin: 12 },
    { id: "call", cost: 4, uplift: 0.35, margin: 12.5 },
  ],
  budget: 120,
};

test("a 400-customer batch answers the same bytes as before", async () => {
  const res = await t.app.request("/decision/batch", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${KEY}`,
      "idempotency-key": "pinned-batch-1",
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  const answer = JSON.parse(text) as { selected: unknown[]; errors: unknown[]; considered: number };
  // A pin of a real selection: some selected, some not, some failed.
  expect(answer.selected.length).toBeGreaterThan(20);
  expect(answer.considered).toBeGreaterThan(answer.selected.length);
  expect(answer.errors.length).toBe(5);
  expect(await sha256Hex(new TextEncoder().encode(text))).toBe(
    // Taken from the code before the batch path's speed work (502fa72a^).
    "fdb0d37012344c8374fa7b8a698c5558b6c03b97be1fca659b6421308636626d",
  );
});
