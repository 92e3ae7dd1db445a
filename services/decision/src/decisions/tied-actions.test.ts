// Actions of exactly equal expected profit: /decision and /decision/batch choose the same one for
// the same customer, whatever order the request lists them in. /decision breaks the tie by cost
// and then action id; the batch took the one listed first, so a probe's ["b", "a"] was "a" on
// /decision and "b" in a batch (on the equal-cost, the convex-hull and the free-action paths).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const KEY = "tied-actions-key-0123456789";
let t: DecisionTestApp;
let app: DecisionTestApp["app"];

beforeAll(async () => {
  t = await openDecisionTestApp({ API_KEYS: KEY });
  app = t.app;
}, 30_000);

afterAll(() => t.close());

const post = async (path: string, body: unknown) => {
  const res = await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
};

const customer = { id: "tie-1", summary: { frequency: 8, recency: 30, T: 36 } };
const horizon = { value: 13, unit: "week" };
const action = (id: string, cost: number) => ({ id, cost, uplift: 0.1, margin: 8 });

/** The action each route chooses for the customer. */
async function chosenByBoth(actions: unknown[]) {
  const one = (await post("/decision", { customer, horizon, actions })) as { chosen: string };
  const batch = (await post("/decision/batch", {
    customers: [customer],
    horizon,
    actions,
    budget: 100,
  })) as { selected: Array<{ action: string }> };
  return { decision: one.chosen, batch: batch.selected[0]?.action ?? "none" };
}

test.each([
  ["equal costs", [action("b", 1), action("a", 1)]],
  ["equal costs, listed in id order", [action("a", 1), action("b", 1)]],
  ["tied pair beside a dearer action (hull)", [action("b", 1), action("a", 1), action("c", 2)]],
  ["free actions", [action("b", 0), action("a", 0)]],
])("a tie is broken alike by /decision and /decision/batch: %s", async (_name, actions) => {
  const { decision, batch } = await chosenByBoth(actions);
  expect(decision).toBe("a");
  expect(batch).toBe(decision);
});
