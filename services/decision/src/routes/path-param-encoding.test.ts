// Every route with a path parameter, sent a segment whose percent-encoding does not decode: a 400
// naming the parameter, from one check (pathParams). Hono hands such a segment to the route as
// written (half decoded at most). Before, only the customer routes checked it (wellEncodedId): a
// policy name was looked up as written (404 'Policy "%E0%A4%A" has no version 1'), and a policy
// version, a key id or a campaign id was a 400 for another problem (not decimal digits, not the
// campaign id pattern).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const ADMIN_KEY = "path-encoding-admin-key-0123456789";
/** Bytes of an unfinished UTF-8 character, then a lone "%A": no decoding of it exists. */
const MALFORMED = "%E0%A4%A";
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  const config = parseConfig({
    API_KEYS: "path-encoding-decide-key-01",
    ADMIN_API_KEYS: ADMIN_KEY,
  });
  deps = buildDecisionDeps(config, {
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

const send = async (
  method: string,
  path: string,
  body?: unknown,
  key: string | null = ADMIN_KEY,
) => {
  const res = await app.request(path, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

type Details = Array<{ path: string; message: string }>;
const detailsOf = (body: Record<string, unknown>) =>
  (body as { error: { code: string; details: Details } }).error;

/** [method, path, the parameters it must name]: every route with a path parameter. */
const CASES: Array<[string, string, string[]]> = [
  ["GET", `/admin/customers/${MALFORMED}/decisions`, ["id"]],
  ["DELETE", `/admin/customers/${MALFORMED}/decisions`, ["id"]],
  ["GET", "/admin/customers/100%/decisions", ["id"]],
  ["GET", `/admin/policies/${MALFORMED}/versions/1`, ["name"]],
  ["GET", "/admin/policies/default/versions/1%E0", ["version"]],
  ["GET", `/admin/policies/${MALFORMED}/versions/1%25%E0`, ["name", "version"]],
  ["POST", `/admin/policies/${MALFORMED}/versions/1/activate`, ["name"]],
  ["POST", "/admin/policies/default/versions/%zz/activate", ["version"]],
  ["POST", `/admin/keys/${MALFORMED}/rotate`, ["id"]],
  ["POST", "/admin/keys/1%/revoke", ["id"]],
  ["GET", `/campaigns/${MALFORMED}`, ["id"]],
];

test("the cases cover every route of the service with a path parameter", () => {
  const withParams = new Set(
    app.routes.filter((r) => r.path.includes("/:")).map((r) => `${r.method} ${r.path}`),
  );
  // The routes' patterns (app.use middleware of the same path with method ALL left out).
  const routes = [...withParams].filter((r) => !r.startsWith("ALL "));
  expect(routes.sort()).toEqual([
    "DELETE /admin/customers/:id/decisions",
    "GET /admin/customers/:id/decisions",
    "GET /admin/policies/:name/versions/:version",
    "GET /campaigns/:id",
    "POST /admin/keys/:id/revoke",
    "POST /admin/keys/:id/rotate",
    "POST /admin/policies/:name/versions/:version/activate",
  ]);
  const matched = (route: string) =>
    CASES.some(([method, path]) => {
      const [m, pattern] = route.split(" ") as [string, string];
      const shape = new RegExp(`^${pattern.replace(/:[a-z]+/g, "[^/]+")}$`);
      return m === method && shape.test(path);
    });
  expect(routes.filter((r) => !matched(r))).toEqual([]);
});

test("a malformed percent-encoding in any path parameter is a 400 naming it", async () => {
  // The default policy (stored on first use) is version 1 of "default".
  expect((await send("GET", "/admin/policies/active")).body).toMatchObject({ name: "default" });
  for (const [method, path, names] of CASES) {
    const { status, body } = await send(method, path, method === "POST" ? {} : undefined);
    const error = detailsOf(body);
    expect({ path, status, code: error?.code }).toEqual({
      path,
      status: 400,
      code: "validation_error",
    });
    expect(error.details).toEqual(
      names.map((name) => ({
        path: name,
        message: "is not valid percent-encoding (UTF-8): write a % in an id as %25",
      })),
    );
  }
  // Nothing was activated.
  expect((await send("GET", "/admin/policies/active")).body).toMatchObject({ name: "default" });
});

test("well-encoded segments still reach their routes, decoded, and their schemas", async () => {
  const encoded = encodeURIComponent(MALFORMED); // %25E0%25A4%25A
  await send("GET", "/admin/policies/active"); // stores the default policy on first use
  const page = await send("GET", `/admin/customers/${encoded}/decisions`);
  expect(page).toMatchObject({ status: 200, body: { customer_id: MALFORMED, decisions: [] } });
  const erased = await send("DELETE", `/admin/customers/${encodeURIComponent("é 100%")}/decisions`);
  expect(erased).toMatchObject({ status: 200, body: { customer_id: "é 100%" } });
  const policy = await send("GET", `/admin/policies/${encodeURIComponent("default")}/versions/1`);
  expect(policy).toMatchObject({ status: 200, body: { name: "default", version: 1 } });
  const noPolicy = await send("GET", `/admin/policies/${encoded}/versions/1`);
  expect(noPolicy).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  // Values that decode but are not ids are still refused by the route's schema.
  const notKey = await send("POST", "/admin/keys/0x10/revoke", {});
  expect(detailsOf(notKey.body).details).toEqual([
    { path: "id", message: "must be a key id: decimal digits, 1 to 2147483647" },
  ]);
  const notCampaign = await send("GET", `/campaigns/${"c".repeat(4097)}`);
  expect(detailsOf(notCampaign.body).details.map((d) => d.path)).toEqual(["id"]);
});

test("without a key, a malformed segment is still the 401, not a 400", async () => {
  for (const [method, path] of CASES) {
    const { status } = await send(method, path, undefined, null);
    expect(`${method} ${path} ${status}`).toBe(`${method} ${path} 401`);
  }
});

test("a campaign id with a NUL (%00) is a 400 naming it, not a 503 from the database", async () => {
  // Before: PostgreSQL refused the text ("invalid byte sequence for encoding UTF8: 0x00") and the
  // page answered 503 "Campaign results unavailable", as if the database were down.
  for (const path of ["/campaigns/%00", "/campaigns/a%00b", "/campaigns/%ED%A0%80"]) {
    const { status, body } = await send("GET", path);
    expect({ path, status, code: detailsOf(body)?.code }).toEqual({
      path,
      status: 400,
      code: "validation_error",
    });
    expect(detailsOf(body).details.map((d) => d.path)).toEqual(["id"]);
  }
});
