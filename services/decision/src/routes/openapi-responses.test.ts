// Real answers of the decision service against its own /openapi.json: every route's success and
// main error answers (with a database, without one, rate-limited) have a documented status, a
// body that fits the documented schema, and documented Retry-After / Idempotent-Replayed headers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openApiResponseChecker } from "@pp/shared/testing/openapi-responses.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const quiet = createLogger({ sink: () => {} });
const KEY = "probe-decide-key-0123456789";
const ADMIN = "probe-admin-key-0123456789";
const env = { API_KEYS: KEY, ADMIN_API_KEYS: ADMIN, FORECAST_BREAKER_FAILURES: "1000" };
const stub = forecastContractStub({
  known: { "c-17": { expected_purchases: 1.25, p_alive: 0.8 } },
});
/** Set while a test needs a decision to stay in flight: the forecast answers 300 ms late. */
let slowForecast = false;
const transport = async (request: Request) => {
  if (slowForecast) await Bun.sleep(300);
  return stub.app.fetch(request);
};
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;
let checker: ReturnType<typeof openApiResponseChecker>;

const build = (extra: Record<string, string>, database?: () => Promise<unknown>) =>
  buildDecisionDeps(parseConfig({ ...env, ...extra }), {
    runtime: "test",
    ...(database ? { database: database as DecisionDeps["database"] } : {}),
    forecastTransport: transport,
    overrides: { logger: quiet },
  });

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  deps = build({}, async () => testDb.handle.db);
  app = createApp(deps);
  checker = openApiResponseChecker(await (await app.request("/openapi.json")).json());
}, 30_000);

afterAll(async () => {
  await deps.audit.close(5000);
  await testDb.cleanup();
});

type Target = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };
interface Call {
  method?: string;
  body?: unknown;
  raw?: string;
  key?: string | null;
  headers?: Record<string, string>;
  on?: Target;
}

/** The fields of answers the tests read back (a key's id, the active policy). */
interface AnswerFields {
  id?: number;
  name?: string;
  version?: number;
  definition?: unknown;
}

/** One request, its answer checked against the document; resolves to status and JSON body. */
async function call(template: string, path: string, options: Call = {}) {
  const { method = options.body !== undefined || options.raw ? "POST" : "GET", key } = options;
  const headers: Record<string, string> = { "content-type": "application/json" };
  const bearer = key === undefined ? (path.startsWith("/decision") ? KEY : ADMIN) : key;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await (options.on ?? app).request(path, {
    method,
    headers: { ...headers, ...options.headers },
    ...(options.raw !== undefined ? { body: options.raw } : {}),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const copy = res.clone();
  expect(await checker.problemsOf(method.toLowerCase(), template, res)).toEqual([]);
  const text = await copy.text();
  return {
    status: copy.status,
    body: (copy.headers.get("content-type")?.includes("json")
      ? JSON.parse(text)
      : text) as AnswerFields,
  };
}

const horizon = { value: 13, unit: "week" };
const actions = [
  { id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8 },
  { id: "call", cost: 6, uplift: 0.4, margin: 8 },
];
const one = (id: string) => ({ customer: { id }, horizon, actions });
const summary = { frequency: 3, recency: 20, T: 30, monetary: 20 };
const batch = (ids: string[], budget = 10) => ({
  customers: ids.map((id) => (id.startsWith("s-") ? { id, summary } : { id })),
  horizon,
  actions,
  budget,
});

describe("decision answers fit the decision service's /openapi.json", () => {
  test("operational routes", async () => {
    expect((await call("/health", "/health")).status).toBe(200);
    expect([200, 503]).toContain((await call("/ready", "/ready")).status);
    expect((await call("/metrics", "/metrics")).status).toBe(200);
    expect((await call("/openapi.json", "/openapi.json")).status).toBe(200);
    expect((await call("/docs", "/docs")).status).toBe(200);
  });

  test("POST /decision: answer, replay, unknown customer, bad JSON, keys, size, type, key reuse", async () => {
    expect((await call("/decision", "/decision", { body: one("c-17") })).status).toBe(200);
    const keyed = { headers: { "Idempotency-Key": "probe-1" }, body: one("c-17") };
    expect((await call("/decision", "/decision", keyed)).status).toBe(200);
    expect((await call("/decision", "/decision", keyed)).status).toBe(200); // replayed
    const reused = { headers: { "Idempotency-Key": "probe-1" }, body: one("c-18") };
    expect((await call("/decision", "/decision", reused)).status).toBe(422);
    expect((await call("/decision", "/decision", { body: one("ghost") })).status).toBe(404);
    expect((await call("/decision", "/decision", { raw: "{nope" })).status).toBe(400);
    expect((await call("/decision", "/decision", { body: one("c-17"), key: null })).status).toBe(
      401,
    );
    const big = { raw: JSON.stringify({ pad: "x".repeat(11 * 1024 * 1024) }) };
    expect((await call("/decision", "/decision", big)).status).toBe(413);
    const text = { raw: "{}", headers: { "content-type": "text/plain" } };
    expect((await call("/decision", "/decision", text)).status).toBe(415);
  });

  test("POST /decision/batch: answer, empty actions, a key in flight, a partly erased batch", async () => {
    const path = "/decision/batch";
    expect((await call(path, path, { body: batch(["c-17", "ghost"]) })).status).toBe(200);
    expect((await call(path, path, { body: { ...batch(["c-17"]), actions: [] } })).status).toBe(
      400,
    );
    // Two bodies under one key at once: the second is a 409 while the first is decided.
    const inFlight = (ids: string[]) => ({
      headers: { "Idempotency-Key": "probe-2" },
      body: batch(ids),
    });
    slowForecast = true;
    const first = call(path, path, inFlight(["c-17"]));
    await Bun.sleep(100); // the first is waiting for its forecast
    const second = await call(path, path, inFlight(["c-17", "c-19"]));
    slowForecast = false;
    expect([(await first).status, second.status]).toEqual([200, 409]);
    // A keyed batch whose answer row was erased with its customer: a 409, not a second decision.
    const keyed = { headers: { "Idempotency-Key": "probe-3" }, body: batch(["s-30", "s-31"]) };
    expect((await call(path, path, keyed)).status).toBe(200);
    await deps.audit.drain(5000);
    const erase = "/admin/customers/{id}/decisions";
    expect(
      (await call(erase, "/admin/customers/s-30/decisions", { method: "DELETE" })).status,
    ).toBe(200);
    expect((await call(path, path, keyed)).status).toBe(409);
  });

  test("admin: keys", async () => {
    expect((await call("/admin/keys", "/admin/keys")).status).toBe(200);
    const created = await call("/admin/keys", "/admin/keys", { body: { name: "probe" } });
    expect(created.status).toBe(201);
    expect((await call("/admin/keys", "/admin/keys", { body: { name: "probe" } })).status).toBe(
      409,
    );
    const rotate = "/admin/keys/{id}/rotate";
    const rotated = await call(rotate, `/admin/keys/${created.body.id}/rotate`, { body: {} });
    expect(rotated.status).toBe(201);
    expect((await call(rotate, `/admin/keys/${created.body.id}/rotate`, { body: {} })).status).toBe(
      409,
    );
    const revoke = "/admin/keys/{id}/revoke";
    const revoked = await call(revoke, `/admin/keys/${rotated.body.id}/revoke`, { body: {} });
    expect(revoked.status).toBe(200);
    expect((await call(revoke, `/admin/keys/${rotated.body.id}/revoke`, { body: {} })).status).toBe(
      404,
    );
    expect((await call("/admin/keys", "/admin/keys", { key: KEY })).status).toBe(403);
  });

  test("admin: policies", async () => {
    const active = await call("/admin/policies/active", "/admin/policies/active");
    expect(active.status).toBe(200);
    expect((await call("/admin/policies", "/admin/policies")).status).toBe(200);
    const added = await call("/admin/policies", "/admin/policies", {
      body: { name: "probe", definition: active.body.definition },
    });
    expect(added.status).toBe(201);
    const version = "/admin/policies/{name}/versions/{version}";
    expect((await call(version, "/admin/policies/probe/versions/1")).status).toBe(200);
    expect((await call(version, "/admin/policies/probe/versions/9")).status).toBe(404);
    const activate = `${version}/activate`;
    const back = `/admin/policies/${active.body.name}/versions/${active.body.version}/activate`;
    expect(
      (await call(activate, "/admin/policies/probe/versions/1/activate", { body: {} })).status,
    ).toBe(200);
    expect((await call(activate, back, { body: {} })).status).toBe(200);
    expect((await call("/admin/policies", "/admin/policies", { body: { name: "x" } })).status).toBe(
      400,
    );
  });

  test("admin: decision log and campaign pages", async () => {
    await deps.audit.drain(5000);
    const decisions = "/admin/customers/{id}/decisions";
    expect((await call(decisions, "/admin/customers/c-17/decisions")).status).toBe(200);
    expect((await call(decisions, "/admin/customers/c-17/decisions?limit=x")).status).toBe(400);
    const prune = "/admin/decision-log/prune";
    expect((await call(prune, prune, { body: { older_than_days: 30 } })).status).toBe(200);
    const spring = { body: { ...one("c-17"), campaign: "spring", control_share: 0.1 } };
    expect((await call("/decision", "/decision", spring)).status).toBe(200);
    await deps.audit.drain(5000);
    expect((await call("/campaigns/{id}", "/campaigns/spring")).status).toBe(200);
    const links = "/admin/campaign-links";
    expect((await call(links, links, { body: {} })).status).toBe(200);
    expect((await call("/campaigns", "/campaigns")).status).toBe(200);
    expect((await call("/campaigns/{id}", "/campaigns/none-such")).status).toBe(404);
  });

  test("admin routes that take no body: one over MAX_BODY_BYTES is a documented 413", async () => {
    // Every /admin route counts a body (the limit guards the prefix): a GET or DELETE sent 11 MiB
    // answered a 413 its document did not list. A small body there is ignored.
    const big = { raw: "x".repeat(11 * 1024 * 1024) };
    for (const [method, template, path] of [
      ["GET", "/admin/policies", "/admin/policies"],
      ["GET", "/admin/keys", "/admin/keys"],
      ["DELETE", "/admin/customers/{id}/decisions", "/admin/customers/c-0/decisions"],
      ["POST", "/admin/keys/{id}/revoke", "/admin/keys/1/revoke"],
    ] as const) {
      expect((await call(template, path, { method, ...big })).status).toBe(413);
    }
    expect((await call("/admin/keys", "/admin/keys", { method: "GET", raw: "x" })).status).toBe(
      200,
    );
  });

  test("the database away: 503s; rate-limited: 429 with Retry-After", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const away = build({}, async () => {
      throw refused;
    });
    const bare = createApp(away);
    expect((await call("/decision", "/decision", { body: one("c-17"), on: bare })).status).toBe(
      503,
    );
    expect((await call("/admin/keys", "/admin/keys", { on: bare })).status).toBe(503);
    expect((await call("/admin/policies", "/admin/policies", { on: bare })).status).toBe(503);
    await away.audit.close(1000);
    const limitedDeps = build(
      { RATE_LIMIT_RPS: "0.001", RATE_LIMIT_BURST: "1" },
      async () => testDb.handle.db,
    );
    const limited = createApp(limitedDeps);
    await call("/admin/keys", "/admin/keys", { on: limited });
    expect((await call("/admin/keys", "/admin/keys", { on: limited })).status).toBe(429);
    await limitedDeps.audit.close(1000);
  });

  test("every documented operation was checked with a success answer", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const succeeded = new Set(
      checker.seen.filter((s) => /\s2\d\d$/.test(s)).map((s) => s.replace(/\s\d+$/, "")),
    );
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(documented.filter((op) => !succeeded.has(op))).toEqual([]);
  });
});
