// Forecast figures that are finite but at the edge of double range (1e307 expected purchases, a
// P(alive) of 1e-300 that lapsing-uplift divides by) make an expected profit that is not a finite
// number. The real forecast service never answers such figures (it rounds to 1e-9 and refuses
// summaries no history can give), so the forecast here is the contract stub, served over HTTP to
// a decision service running as a Bun process on PostgreSQL. Such a customer is a 422 naming
// the action (a batch: that customer's error); never a profit answered or logged as null, never a
// customer silently left out of a batch.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, startBun, stopProc, waitForHttp } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const root = resolve(import.meta.dirname, "../../../..");
const KEY = "out-of-range-profit-key-0123456789";
const ADMIN = "out-of-range-profit-admin-0123456789";
let db: TestDatabase;
let proc: Proc;
let base: string;
let forecast: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  forecast = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: forecastContractStub().app.fetch });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proc = startBun("decision", join(root, "services/decision/src/entry/bun.ts"), {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: db.options.databaseUrl as string,
    API_KEYS: KEY,
    ADMIN_API_KEYS: ADMIN,
    FORECAST_URL: `http://127.0.0.1:${forecast.port}`,
    LOG_LEVEL: "warn",
  });
  await waitForHttp(`${base}/health`, (s) => s === 200, "decision /health", 60_000);
}, 90_000);

afterAll(async () => {
  if (proc) await stopProc(proc);
  forecast?.stop(true);
  await db?.cleanup();
});

const post = (path: string, body: unknown, key = KEY) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const horizon = { value: 26, unit: "week" };
const actions = [{ id: "email", cost: 1, uplift: 100, margin: 1e12 }];
// The stub's figures: expected purchases = frequency / T × weeks, P(alive) = recency / T.
/** 2.6e307 expected purchases (× 100 × 1e12 is past double range). */
const huge = { frequency: 1_000_000, recency: 1e-300, T: 1e-300 };
/** 26 expected purchases with P(alive) 1e-300: lapsing-uplift's purchases-if-alive 2.6e301. */
const lapsed = { frequency: 1, recency: 1e-300, T: 1 };
const plain = { frequency: 2, recency: 5, T: 10 };

async function storedRows(customerId: string): Promise<Array<{ scores: unknown }>> {
  const res = await fetch(`${base}/admin/customers/${customerId}/decisions`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { decisions: Array<{ scores: unknown }> }).decisions;
}

async function expectRefused(customer: { id: string; summary: unknown }) {
  const res = await post("/decision", { customer, horizon, actions });
  const body = (await res.json()) as {
    error?: { code: string; message: string; details?: Array<{ path: string }> };
  };
  expect({ status: res.status, code: body.error?.code }).toEqual({
    status: 422,
    code: "unprocessable",
  });
  expect(body.error?.message).toContain('expected profit of action "email" is out of range');
  expect(body.error?.details?.map((d) => d.path)).toEqual(["customer"]);
  expect(await storedRows(customer.id)).toEqual([]);
}

test("expected-profit: 1e307 expected purchases is a 422 naming the action, nothing logged", async () => {
  await expectRefused({ id: "huge", summary: huge });
});

test("batch: that customer is an error of its own, the others are selected and logged", async () => {
  const customers = [
    { id: "b-huge", summary: huge },
    { id: "b-plain-1", summary: plain },
    { id: "b-plain-2", summary: plain },
  ];
  const res = await post("/decision/batch", { customers, horizon, actions, budget: 1e308 });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    selected: Array<{ id: string; expected_profit: number }>;
    errors: Array<{ id: string; error: { code: string } }>;
    considered: number;
    totals: { expected_profit: number };
  };
  expect(body.errors.map((e) => [e.id, e.error.code])).toEqual([["b-huge", "not_computable"]]);
  expect(body.selected.map((s) => s.id)).toEqual(["b-plain-1", "b-plain-2"]);
  expect(body.considered).toBe(2);
  expect(Number.isFinite(body.totals.expected_profit)).toBe(true);
  expect(await storedRows("b-huge")).toEqual([]);
  expect(await storedRows("b-plain-1")).toHaveLength(1);
});

test("lapsing-uplift: P(alive) 1e-300 is a 422 (a single decision and in a batch)", async () => {
  const activated = await fetch(`${base}/admin/policies/lapsing-uplift/versions/1/activate`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(activated.status).toBe(200);
  // The decision service re-reads the active policy within its cache time.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = await post("/decision", {
      customer: { id: "probe", summary: plain },
      horizon,
      actions,
    });
    const answer = (await probe.json()) as { policy?: { name: string } };
    if (answer.policy?.name === "lapsing-uplift") break;
    if (Date.now() > deadline) throw new Error("lapsing-uplift did not become active");
    await Bun.sleep(200);
  }
  await expectRefused({ id: "lapsed", summary: lapsed });
  const res = await post("/decision/batch", {
    customers: [
      { id: "bl-lapsed", summary: lapsed },
      { id: "bl-plain", summary: plain },
    ],
    horizon,
    actions,
    budget: 10,
  });
  const body = (await res.json()) as { errors: Array<{ id: string; error: { code: string } }> };
  expect(body.errors.map((e) => [e.id, e.error.code])).toEqual([["bl-lapsed", "not_computable"]]);
}, 30_000);
