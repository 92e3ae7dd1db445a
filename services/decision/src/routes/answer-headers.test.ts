// Answers that hold a new API key (shown once) or a customer's decisions carried no Cache-Control
// and no X-Content-Type-Options: a shared cache or a browser could keep `POST /admin/keys`' key.
// Every answer now says `no-store` and `nosniff`, errors included (forecast: answer-headers.test.ts).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { answerHeaders } from "@pp/shared/http/answer-headers.ts";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const ADMIN = "answer-headers-admin-0123456789";
const admin = { authorization: `Bearer ${ADMIN}` };
let t: DecisionTestApp;

beforeAll(async () => {
  t = await openDecisionTestApp({ ADMIN_API_KEYS: ADMIN }, { forecast: false });
}, 30_000);

afterAll(() => t.close());

function expectUncacheable(res: Response) {
  expect(answerHeaders(res)).toEqual(["no-store", "nosniff"]);
}

test("a new key's answer, its rotation's, a customer's decisions and errors: no-store, nosniff", async () => {
  const json = { ...admin, "content-type": "application/json" };
  const made = await t.app.request("/admin/keys", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ name: "answer-headers", scopes: ["decide"] }),
  });
  expect(made.status).toBe(201);
  expectUncacheable(made);
  const { id } = (await made.json()) as { id: number };
  const rotated = await t.app.request(`/admin/keys/${id}/rotate`, {
    method: "POST",
    headers: admin,
  });
  expect(rotated.status).toBe(201);
  expectUncacheable(rotated);
  const decisions = await t.app.request("/admin/customers/c-1/decisions", { headers: admin });
  expect(decisions.status).toBe(200);
  expectUncacheable(decisions);
  for (const [path, status] of [
    ["/admin/keys", 401],
    ["/no-such-route", 404],
    ["/health", 200],
  ] as const) {
    const res = await t.app.request(path);
    expect(res.status).toBe(status);
    expectUncacheable(res);
  }
  const head = await t.app.request("/health", { method: "HEAD" });
  expectUncacheable(head);
});

test("a keyed decision (a Response built from the kept answer) and its replay: no-store, nosniff", async () => {
  const key = "answer-headers-decide-0123456789";
  const withForecast = await openDecisionTestApp({ API_KEYS: key });
  const keyed = () =>
    withForecast.app.request("/decision", {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "Idempotency-Key": "answer-headers-1",
      },
      body: JSON.stringify({
        customer: { id: "c-2", summary: { frequency: 3, recency: 8, T: 10 } },
        horizon: { value: 13, unit: "week" },
        actions: [{ id: "email", cost: 1, uplift: 0.2, margin: 10 }],
      }),
    });
  const first = await keyed();
  expect(first.status).toBe(200);
  expectUncacheable(first);
  const replay = await keyed();
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expectUncacheable(replay);
  await withForecast.close();
}, 30_000);

test("every registered route's answer, whatever its status: no-store, nosniff", async () => {
  const seen: string[] = [];
  for (const route of t.app.routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    const path = route.path.replace(/:[^/]+/g, "x");
    const res = await t.app.request(path, {
      method: route.method,
      headers: { ...admin, "content-type": "application/json" },
      ...(route.method === "GET" || route.method === "HEAD" ? {} : { body: "{}" }),
    });
    await res.arrayBuffer();
    const [cache, sniff] = answerHeaders(res);
    if (cache === null || sniff !== "nosniff") seen.push(`${route.method} ${path} ${res.status}`);
  }
  expect(seen).toEqual([]);
  expect(t.app.routes.length).toBeGreaterThan(20);
});
