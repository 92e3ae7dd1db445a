// A key repeated within one object of a JSON body, on every JSON route of a real decision service
// process (Bun entry, real PostgreSQL): a 400 naming it. JSON.parse keeps the last, and only
// POST /admin/policies refused one: {"customer":{"id":"a","id":"b"}} was decided (and logged)
// for "b", a batch's second "budget" replaced its first.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, startBun, stopProc, waitForHttp } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";

const root = resolve(import.meta.dirname, "../../../..");
const KEY = "decide-key-for-repeated-keys-0123";
const ADMIN = "admin-key-for-repeated-keys-01234";
let db: TestDatabase;
let proc: Proc;
let base: string;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proc = startBun("decision", join(root, "services/decision/src/entry/bun.ts"), {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: db.options.databaseUrl as string,
    API_KEYS: KEY,
    ADMIN_API_KEYS: ADMIN,
    CAMPAIGN_SECRET: "repeated-keys-campaign-secret",
    // No forecast: every body here is refused before one is asked.
    FORECAST_URL: "http://127.0.0.1:9",
    LOG_LEVEL: "warn",
  });
  await waitForHttp(`${base}/health`, (s) => s === 200, "decision /health", 60_000);
}, 90_000);

afterAll(async () => {
  if (proc) await stopProc(proc);
  await db?.cleanup();
});

const actions = '[{"id":"email","cost":0.5,"uplift":0.15,"margin":8}]';
const horizon = '{"value":13,"unit":"week"}';

/** [route, key, body, the path the 400 must name]. */
const CASES: Array<[string, string, string, string]> = [
  [
    "/decision",
    KEY,
    `{"customer":{"id":"a","id":"b"},"horizon":${horizon},"actions":${actions}}`,
    "customer.id",
  ],
  [
    "/decision",
    KEY,
    `{"customer":{"id":"a"},"horizon":${horizon},"actions":${actions},"horizon":${horizon}}`,
    "horizon",
  ],
  [
    "/decision/batch",
    KEY,
    `{"customers":[{"id":"a"},{"id":"b","id":"c"}],"horizon":${horizon},"actions":${actions},"budget":1,"budget":100}`,
    "customers.1.id",
  ],
  ["/admin/keys", ADMIN, '{"name":"one","name":"two","scopes":["decide"]}', "name"],
];

test("a repeated key is a 400 naming it on /decision, /decision/batch and the admin routes", async () => {
  for (const [route, key, body, path] of CASES) {
    const res = await fetch(`${base}${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
    });
    const { error } = (await res.json()) as {
      error: { details?: Array<{ path: string; message: string }> };
    };
    expect([route, res.status]).toEqual([route, 400]);
    expect(error.details?.[0]?.path).toBe(path);
    expect(error.details?.[0]?.message).toContain("appears twice");
  }
  expect(await db.handle.db.select().from(decisionLog)).toEqual([]);
}, 60_000);
