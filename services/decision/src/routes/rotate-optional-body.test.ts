// POST /admin/keys/:id/rotate takes no body ("the body may be omitted"): also from a client that
// sends Content-Type: application/json on every request, which got a 400 "body is empty" while
// the same request without the header rotated; and /openapi.json says the body is optional (it
// said required).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const ADMIN = "rotate-optional-body-admin-0123456789";
const admin = { authorization: `Bearer ${ADMIN}` };
let t: DecisionTestApp;
let app: DecisionTestApp["app"];

beforeAll(async () => {
  t = await openDecisionTestApp({ ADMIN_API_KEYS: ADMIN }, { forecast: false });
  app = t.app;
}, 30_000);

afterAll(() => t.close());

async function createKey(name: string): Promise<number> {
  const res = await app.request("/admin/keys", {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ name, scopes: ["decide"] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

test.each([
  ["no Content-Type", {}],
  ["Content-Type: application/json", { "content-type": "application/json" }],
  ["application/json; charset=utf-8", { "content-type": "application/json; charset=utf-8" }],
])("a rotation without a body, %s: 201 with the defaults", async (_name, headers) => {
  const id = await createKey(`rotate-${Math.random().toString(36).slice(2)}`);
  const res = await app.request(`/admin/keys/${id}/rotate`, {
    method: "POST",
    headers: { ...admin, ...headers },
  });
  expect(res.status).toBe(201);
});

test("a body that is sent must still be JSON: text/plain is a 415", async () => {
  const id = await createKey("rotate-text-plain");
  const res = await app.request(`/admin/keys/${id}/rotate`, {
    method: "POST",
    headers: { ...admin, "content-type": "text/plain" },
    body: "x",
  });
  expect(res.status).toBe(415);
});

test("/openapi.json: the rotation's body is optional, a key's creation needs one", async () => {
  const doc = (await (await app.request("/openapi.json")).json()) as {
    paths: Record<string, { post: { requestBody: { required: boolean } } }>;
  };
  expect(doc.paths["/admin/keys/{id}/rotate"]?.post.requestBody.required).toBe(false);
  expect(doc.paths["/admin/keys"]?.post.requestBody.required).toBe(true);
});
