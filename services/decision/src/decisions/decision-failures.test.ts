// How /decision fails: forecast outages (clean 503/504 or a marked fallback, as the policy
// says) and a full decision-log buffer (503, never a decision without its record).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { createApp } from "../app.ts";
import { BufferedAuditLog } from "../audit/audit-log.ts";
import { decisionLogSink } from "../audit/decision-log-sink.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { PolicyCatalog } from "../policy/policy-catalog.ts";
import { lazyDatabase } from "../store/lazy-database.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const quiet = createLogger({ sink: () => {} });
const KEY = "failure-tests-key";
const auth = { Authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const body = {
  customer: { id: "c-1" },
  horizon: { value: 13, unit: "week" },
  actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
};
/** The same decision as a batch (which takes customers, not a customer). */
const batchOf = (customers: Array<{ id: string }>) => {
  const { customer: _one, ...rest } = body;
  return JSON.stringify({ ...rest, customers, budget: 10 });
};
let testDb: TestDatabase;
const stub = forecastContractStub({
  known: {
    "c-1": { expected_purchases: 1, p_alive: 0.3 },
    // What a forecast answers for a customer its models cannot compute: null figures.
    "c-null": { expected_purchases: null, p_alive: null },
  },
});

function depsWith(overrides: Partial<DecisionDeps> = {}, env: Record<string, string> = {}) {
  return buildDecisionDeps(
    parseConfig({
      API_KEYS: KEY,
      FORECAST_TIMEOUT_MS: "50",
      FORECAST_BREAKER_FAILURES: "2",
      ...env,
    }),
    {
      runtime: "test",
      database: async () => testDb.handle.db,
      forecastTransport: inProcessTransport(stub.app),
      overrides: { logger: quiet, ...overrides },
    },
  );
}

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
}, 30_000);
afterAll(async () => {
  await testDb.cleanup();
});

describe("garbage figures from forecast", () => {
  test("fail only that customer (422 / a batch error), never the breaker, never the batch", async () => {
    stub.state.mode = "ok";
    const deps = depsWith();
    const app = createApp(deps);
    const decide = (id: string) =>
      app.request("/decision", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ ...body, customer: { id } }),
      });
    // Far more than FORECAST_BREAKER_FAILURES (2) in a row.
    for (let i = 0; i < 6; i++) {
      const res = await decide("c-null");
      expect(res.status).toBe(422);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("unprocessable");
      expect(error.message).toContain("no finite expected purchases");
    }
    expect(deps.forecast.breaker.state).toBe("closed");
    expect((await decide("c-1")).status).toBe(200);
    const batch = await app.request("/decision/batch", {
      method: "POST",
      headers: auth,
      body: batchOf([{ id: "c-1" }, { id: "c-null" }]),
    });
    expect(batch.status).toBe(200);
    const answer = (await batch.json()) as {
      considered: number;
      errors: Array<{ id: string; error: { code: string } }>;
    };
    expect(answer.considered).toBe(1);
    expect(answer.errors).toEqual([
      {
        id: "c-null",
        error: expect.objectContaining({ code: "no_forecast" }) as unknown as { code: string },
      },
    ]);
    await deps.audit.close();
  });
});

describe("forecast unavailable", () => {
  test("default policy (fail): 503 naming the reason, then circuit_open; nothing logged", async () => {
    stub.state.mode = "down";
    const deps = depsWith();
    const app = createApp(deps);
    for (const reason of ["bad_status", "bad_status", "circuit_open"]) {
      const res = await app.request("/decision", {
        method: "POST",
        headers: auth,
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      const error = ((await res.json()) as { error: { message: string; details: unknown } }).error;
      expect(error.details).toEqual({ forecast: { reason } });
      expect(error.message).toContain("Forecast unavailable");
    }
    expect(deps.audit.pending).toBe(0);
    await deps.audit.close();
  });

  test("a hanging forecast is a 504 after the timeout", async () => {
    stub.state.mode = "hang";
    const deps = depsWith();
    const res = await createApp(deps).request("/decision", {
      method: "POST",
      headers: auth,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(504);
    await deps.audit.close();
  });

  test("a fallback policy answers 200 with the default action, marked, and logs it", async () => {
    stub.state.mode = "down";
    const catalog = new PolicyCatalog(async () => testDb.handle.db);
    await catalog.active(); // seeds default + lapsing-uplift
    await catalog.activate("lapsing-uplift", 1);
    const deps = depsWith();
    const app = createApp(deps);
    const res = await app.request("/decision", {
      method: "POST",
      headers: auth,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      decision_id: string;
      chosen: string;
      fallback: { reason: string };
      model: unknown;
      ranked: Array<{ id: string; expected_profit: number | null; reasons: string[] }>;
    };
    expect(answer.chosen).toBe("none");
    expect(answer.fallback.reason).toBe("bad_status");
    expect(answer.model).toBeNull();
    expect(answer.ranked.every((r) => r.expected_profit === null)).toBe(true);
    expect(answer.ranked[0]?.reasons[0]).toStartWith("fallback: forecast unavailable (bad_status)");
    await deps.audit.drain(5000);
    const [row] = await testDb.handle.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.decisionId, answer.decision_id));
    expect(row).toMatchObject({
      chosenAction: "none",
      modelName: "unavailable",
      policyName: "lapsing-uplift",
    });
    // With the forecast back, the same policy scores normally.
    stub.state.mode = "ok";
    const ok = (await (
      await app.request("/decision", { method: "POST", headers: auth, body: JSON.stringify(body) })
    ).json()) as { chosen: string; fallback?: unknown };
    expect(ok.fallback).toBeUndefined();
    // lapsing: 0.2 × 0.7 × (1/0.3) × 10 − 0.5 ≈ 4.17 > 0
    expect(ok.chosen).toBe("email");
    await deps.audit.close();
    // A batch falls back too, and /metrics counts its customers as fallback decisions (it
    // counted none: the fallback answer considers no one, and batches were always "false").
    stub.state.mode = "down";
    const fresh = depsWith(); // a closed breaker: the calls above opened this one
    const freshApp = createApp(fresh);
    const batch = await freshApp.request("/decision/batch", {
      method: "POST",
      headers: auth,
      body: batchOf([{ id: "c-1" }, { id: "c-2" }, { id: "c-3" }]),
    });
    expect(batch.status).toBe(200);
    expect(((await batch.json()) as { selection: { method: string } }).selection.method).toBe(
      "fallback",
    );
    const metrics = await (await freshApp.request("/metrics")).text();
    expect(metrics).toContain('decisions_total{kind="batch",action="none",fallback="true"} 3');

    stub.state.mode = "ok";
    await fresh.audit.close();
    await catalog.activate("default", 1);
  });
});

describe("decision log database unreachable", () => {
  test("a fallback's default action is still held to the policy's max_cost", async () => {
    // It was chosen whatever its cost: a "call" at 6 under a rule of at most 1.
    stub.state.mode = "down";
    const deps = depsWith();
    try {
      const added = await deps.policies.add("call-when-down", {
        on_forecast_unavailable: "fallback",
        default_action: "call",
        rules: [{ rule: "max_cost", value: 1 }],
      });
      await deps.policies.activate("call-when-down", added.version);
      const actions = [...body.actions, { id: "call", cost: 6, uplift: 0.3, margin: 10 }];
      const res = await createApp(deps).request("/decision", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ ...body, actions }),
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as {
        chosen: string;
        ranked: Array<{ id: string; eligible: boolean; reasons: string[] }>;
      };
      expect(answer.chosen).toBe("none");
      const call = answer.ranked.find((r) => r.id === "call");
      expect(call?.eligible).toBe(false);
      expect(call?.reasons[0]).toBe("max_cost: cost 6 exceeds 1");
      // The policy's default action is named as refused: the note said its default was "none".
      expect(answer.ranked.find((r) => r.id === "none")?.reasons).toEqual([
        'fallback: forecast unavailable (bad_status); policy default action "none" ("call" is refused: max_cost: cost 6 exceeds 1)',
      ]);
    } finally {
      stub.state.mode = "ok";
      const [first] = await deps.policies.list("default");
      if (first) await deps.policies.activate("default", first.version);
      await deps.audit.close();
    }
  });

  test("no 200 without a commit: 503 within the commit timeout, then at once; /ready says why", async () => {
    stub.state.mode = "ok";
    // The decision log points at a PostgreSQL that is not there (connection refused).
    const unreachable = lazyDatabase(
      async () =>
        (
          await openDecisionDatabase({
            DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
            DECISION_DATA_DIR: "",
          })
        ).db,
    );
    const metrics = new MetricsRegistry();
    const lines: string[] = [];
    const audit = new BufferedAuditLog({
      sink: decisionLogSink(unreachable),
      commitTimeoutMs: 500,
      retryMs: 20,
      logger: createLogger({ sink: (line) => lines.push(line) }),
      metrics,
    });
    const deps = depsWith({ audit, metrics });
    const app = createApp(deps);
    const post = () =>
      app.request("/decision", { method: "POST", headers: auth, body: JSON.stringify(body) });
    const started = performance.now();
    const first = await post();
    expect(first.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(3000);
    const error = ((await first.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("Decision log unavailable");
    // Known down: refused at once, batches too.
    const again = performance.now();
    expect((await post()).status).toBe(503);
    expect(performance.now() - again).toBeLessThan(200);
    const batch = await app.request("/decision/batch", {
      method: "POST",
      headers: auth,
      body: batchOf([body.customer, { id: "c-2" }, { id: "c-3" }]),
    });
    expect(batch.status).toBe(503);
    expect(audit.pending).toBe(0);
    // Keyed requests (what the README recommends) are refused by the read of their key, which
    // counted nothing: the alert on refusals could not fire for keyed clients.
    const keyedDeps = buildDecisionDeps(parseConfig({ API_KEYS: KEY }), {
      runtime: "test",
      database: unreachable,
      forecastTransport: inProcessTransport(stub.app),
      overrides: { logger: quiet, audit, metrics },
    });
    const keyedApp = createApp(keyedDeps);
    const keyed = (path: string, payload: string, key: string) =>
      keyedApp.request(path, {
        method: "POST",
        headers: { ...auth, "Idempotency-Key": key },
        body: payload,
      });
    expect((await keyed("/decision", JSON.stringify(body), "k-1")).status).toBe(503);
    const four = batchOf([{ id: "c-1" }, { id: "c-2" }, { id: "c-3" }, { id: "c-4" }]);
    expect((await keyed("/decision/batch", four, "k-2")).status).toBe(503);
    // Readiness says why, briefly.
    const ready = await app.request("/ready");
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(text).toContain("decision_log");
    expect(text).toContain("cannot record decisions");
    expect(text).not.toMatch(/insert|select|params/i);
    // The failure is logged once, by its error code: no statement, no parameters.
    const failures = lines.filter((l) => l.includes("decision log write failed"));
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(2);
    for (const l of failures) {
      expect(l).toContain("ECONNREFUSED");
      expect(l).not.toMatch(/insert|c-1|email|params/i);
    }
    // Every refused decision is counted, a batch's customers each (the 503s are visible to
    // alerts): 1 + 1 + 3 unkeyed, 1 + 4 keyed. It counted requests, and no keyed one: 3.
    expect(metrics.expose()).toMatch(/^decision_log_rejected_total 10$/m);
    expect(metrics.expose()).toMatch(/^decision_log_database_down 1$/m);
    expect(await audit.close(100)).toBe(true);
  });
});

describe("a batch's forecast gets FORECAST_BATCH_TIMEOUT_MS", () => {
  test("a slow but answering forecast serves batches; single decisions keep the tight timeout", async () => {
    // 10,000 customers of 12 transactions each (4 MB, well under the body limit) took the demo
    // forecast over 2 s: every such batch was a 504 at FORECAST_TIMEOUT_MS, and five of them
    // opened the breaker, failing every single decision for FORECAST_BREAKER_OPEN_MS.
    stub.state.mode = "ok";
    const slow = async (request: Request) => {
      await Bun.sleep(150);
      return inProcessTransport(stub.app)(request);
    };
    const deps = buildDecisionDeps(
      parseConfig({
        API_KEYS: KEY,
        FORECAST_TIMEOUT_MS: "50",
        FORECAST_BATCH_TIMEOUT_MS: "5000",
        FORECAST_BREAKER_FAILURES: "2",
      }),
      {
        runtime: "test",
        database: async () => testDb.handle.db,
        forecastTransport: slow,
        overrides: { logger: quiet },
      },
    );
    const app = createApp(deps);
    const batch = JSON.stringify({
      customers: [{ id: "c-1" }, { id: "c-2" }],
      horizon: body.horizon,
      actions: body.actions,
      budget: 1,
    });
    for (let i = 0; i < 3; i++) {
      const res = await app.request("/decision/batch", {
        method: "POST",
        headers: auth,
        body: batch,
      });
      expect(res.status).toBe(200);
    }
    expect(deps.forecast.breaker.state).toBe("closed");
    const single = await app.request("/decision", {
      method: "POST",
      headers: auth,
      body: JSON.stringify(body),
    });
    expect(single.status).toBe(504);
    await deps.audit.close(5000);
  });
});
