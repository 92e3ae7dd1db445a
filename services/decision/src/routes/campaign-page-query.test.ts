// The query of one campaign's page, GET /campaigns/:id: /openapi.json lists the signed link's exp
// and sig there, as POST /admin/campaign-links answers such URLs (a client generated from the
// document had no way to send them), and a misspelt parameter is a 400 naming it, as on the list
// page (it was ignored: ?foo=1 answered the page).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const ADMIN = "campaign-page-query-admin-0123456789";
const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
let t: DecisionTestApp;
let app: DecisionTestApp["app"];

beforeAll(async () => {
  t = await openDecisionTestApp({ ADMIN_API_KEYS: ADMIN });
  app = t.app;
  const decided = await app.request("/decision", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({
      customer: { id: "q-1", summary: { frequency: 2, recency: 5, T: 10 } },
      horizon: { value: 13, unit: "week" },
      actions: [{ id: "email", cost: 1, uplift: 0.1, margin: 8 }],
      campaign: "spring-q",
    }),
  });
  expect(decided.status).toBe(200);
}, 30_000);

afterAll(() => t.close());

interface Parameter {
  name: string;
  in: string;
}

test("/openapi.json lists a signed link's exp and sig on one campaign's page", async () => {
  const doc = (await (await app.request("/openapi.json")).json()) as {
    paths: Record<string, { get: { parameters?: Parameter[] } }>;
  };
  const query = (doc.paths["/campaigns/{id}"]?.get.parameters ?? [])
    .filter((p) => p.in === "query")
    .map((p) => p.name);
  expect(query.sort()).toEqual(["exp", "sig"]);
});

test("a signed link opens the page; a misspelt parameter is a 400 naming it", async () => {
  const link = await app.request("/admin/campaign-links", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ campaign: "spring-q", hours: 1 }),
  });
  const { url } = (await link.json()) as { url: string };
  expect((await app.request(url)).status).toBe(200);
  const misspelt = await app.request("/campaigns/spring-q?foo=1", { headers: admin });
  const body = (await misspelt.json()) as { error: { details: Array<{ path: string }> } };
  expect(misspelt.status).toBe(400);
  expect(body.error.details.map((d) => d.path)).toEqual(["foo"]);
});
