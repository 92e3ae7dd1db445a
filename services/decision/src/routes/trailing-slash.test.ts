// A route called with a trailing slash (`POST /decision/`) is a JSON 404 naming the path and the
// route without the slash: "No route for POST /decision/" alone left clients to spot the slash.
// The handler is shared (shared/errors/error-handler.ts), so /forecast/ is answered the same way.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const KEY = "local-dev-key-0123456789";
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  deps = buildDecisionDeps(parseConfig({ API_KEYS: KEY }), {
    runtime: "test",
    database: async () => testDb.handle.db,
    forecastTransport: inProcessTransport(forecastContractStub({ known: {} }).app),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  app = createApp(deps);
}, 30_000);

afterAll(async () => {
  await deps.audit.close(5000);
  await testDb.cleanup();
});

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
