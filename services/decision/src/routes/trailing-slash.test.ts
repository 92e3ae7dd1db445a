// A route called with a trailing slash (`POST /decision/`) is a JSON 404 naming the path and the
// route without the slash: "No route for POST /decision/" alone left clients to spot the slash.
// The handler is shared (shared/errors/error-handler.ts), so /forecast/ is answered the same way.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const KEY = "local-dev-key-0123456789";
let decision: DecisionTestApp;
let app: DecisionTestApp["app"];

beforeAll(async () => {
  decision = await openDecisionTestApp({ API_KEYS: KEY });
  app = decision.app;
}, 30_000);

afterAll(() => decision.close());

const call = (method: string, path: string) =>
  app.request(path, {
    method,
    headers: { "content-type": "application/json", Authorization: `Bearer ${KEY}` },
    ...(method === "POST" ? { body: "{}" } : {}),
  });

for (const [method, path, route] of [
  ["POST", "/decision/", "/decision"],
  ["POST", "/decision/batch/", "/decision/batch"],
  ["GET", "/health/", "/health"],
  ["GET", "/ready//", "/ready"],
] as const) {
  test(`${method} ${path} is a 404 naming ${route}, not redirected`, async () => {
    const res = await call(method, path);
    expect(res.status).toBe(404);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.json()).toEqual({
      error: {
        code: "not_found",
        message: `No route for ${method} ${path}: the route is ${route}, without the trailing slash`,
        details: { path, route },
      },
    });
  });
}

test("an unknown path ending in a slash keeps the plain 404", async () => {
  const res = await call("GET", "/nothing/");
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({
    error: { code: "not_found", message: "No route for GET /nothing/" },
  });
});

test("the root path is not taken for a trailing slash", async () => {
  const res = await call("POST", "/");
  expect(((await res.json()) as { error: { message: string } }).error.message).not.toContain(
    "trailing slash",
  );
});
