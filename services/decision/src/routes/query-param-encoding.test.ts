// Every route with query parameters, sent a value whose percent-encoding does not decode: a 400
// naming the parameter, as a path segment's is (path-param-encoding.test.ts). Hono hands such a
// value to the route as written: GET /admin/policies?name=%E0%A4%A searched for the policy named
// "%E0%A4%A" (200, none), and /admin/customers/x/decisions?before_id=%E0 paged from that text.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const ADMIN_KEY = "query-encoding-admin-key-0123456789";
/** Bytes of an unfinished UTF-8 character, then a lone "%A": no decoding of it exists. */
const MALFORMED = "%E0%A4%A";
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  const config = parseConfig({
    API_KEYS: "query-encoding-decide-key-01",
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

const get = async (path: string) => {
  const res = await app.request(path, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** [the route as the document names it, a request to it, the parameters it must name]. */
const CASES: Array<[string, string, string[]]> = [
  ["/admin/policies", `/admin/policies?name=${MALFORMED}`, ["name"]],
  [
    "/admin/customers/{id}/decisions",
    `/admin/customers/x/decisions?before_id=${MALFORMED}`,
    ["before_id"],
  ],
  [
    "/admin/customers/{id}/decisions",
    `/admin/customers/x/decisions?limit=2&before=%&before_id=ok`,
    ["before"],
  ],
  ["/campaigns", `/campaigns?after=${MALFORMED}`, ["after"]],
];

test("the cases cover every GET route the document gives query parameters", async () => {
  const doc = (await (await app.request("/openapi.json")).json()) as {
    paths: Record<string, { get?: { parameters?: Array<{ in: string }> } }>;
  };
  const withQuery = Object.entries(doc.paths)
    .filter(([, ops]) => ops.get?.parameters?.some((p) => p.in === "query"))
    .map(([path]) => path);
  // A campaign page takes a signed link's exp and sig alone: a link that does not verify (a
  // malformed one among them) is a 401 before the query is read (signed-links.ts).
  const signedOnly = ["/campaigns/{id}"];
  expect(
    withQuery.filter(
      (path) => !signedOnly.includes(path) && !CASES.some(([route]) => route === path),
    ),
  ).toEqual([]);
  const signed = await get(`/campaigns/c1?exp=${MALFORMED}&sig=x`);
  expect(signed.status).toBe(401);
});

test("a malformed percent-encoding in any query parameter is a 400 naming it", async () => {
  for (const [, path, names] of CASES) {
    const { status, body } = await get(path);
    const error = body.error as { code: string; details: Array<{ path: string }> } | undefined;
    expect({ path, status, code: error?.code, named: error?.details.map((d) => d.path) }).toEqual({
      path,
      status: 400,
      code: "validation_error",
      named: names,
    });
  }
  // Well encoded, the same routes answer.
  expect((await get(`/admin/policies?name=${encodeURIComponent(MALFORMED)}`)).status).toBe(200);
  expect((await get("/admin/customers/x/decisions?limit=2")).status).toBe(200);
});
