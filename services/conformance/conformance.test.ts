// One HTTP suite run against both services under Bun, Node, Deno and workerd, each started as a
// real process. A runtime that fails to start fails its tests: none is skipped.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { inArray } from "drizzle-orm";
import { parseExposition, sampleValue } from "../../shared/testing/exposition-parser.ts";
import { PolicyCatalog } from "../decision/src/index.ts";
import { forecastBundle } from "../testing/forecast-bundle.ts";
import {
  type RunningService,
  type RuntimeName,
  removeWorkerBundles,
  runtimeNames,
  type ServiceName,
  startService,
} from "../testing/runtimes.ts";

interface RuntimePair {
  forecast: RunningService;
  decision: RunningService;
}

/**
 * POST routes taking a JSON body, per service: each gets the malformed-body checks.
 * Add routes here as they land (e.g. forecast: ["/forecast"]).
 */
export const jsonPostRoutes: Record<ServiceName, string[]> = {
  forecast: ["/forecast"],
  decision: [],
};

const API_KEY = "conformance-key";
let bundleDir = "";
/** One PostgreSQL database for the decision services of all four runtimes. */
let database: TestDatabase | undefined;

/**
 * Extra environment per service for the conformance runs (where the forecast service finds its
 * model, the decision service its database). Decision also gets FORECAST_URL pointing at the
 * same runtime's forecast; on workerd its database is a HYPERDRIVE binding to the same URL.
 */
function serviceEnv(service: ServiceName): Record<string, string> {
  if (service === "forecast") {
    return { MODEL_SOURCE: `bundle:${bundleDir}`, MODEL_POLL_INTERVAL_MS: "0" };
  }
  return { DATABASE_URL: database?.options.databaseUrl ?? "", API_KEYS: API_KEY };
}

const pairs = new Map<RuntimeName, Promise<RuntimePair>>();

async function startPair(runtime: RuntimeName): Promise<RuntimePair> {
  const forecast = await startService(runtime, "forecast", serviceEnv("forecast"), {
    buildEnv: { FORECAST_BUNDLE_FROM: bundleDir },
  });
  try {
    const databaseUrl = database?.options.databaseUrl as string;
    const decision = await startService(
      runtime,
      "decision",
      { ...serviceEnv("decision"), FORECAST_URL: forecast.baseUrl },
      runtime === "workerd" ? { hyperdrive: { binding: "HYPERDRIVE", url: databaseUrl } } : {},
    );
    return { forecast, decision };
  } catch (err) {
    await forecast.stop();
    throw err;
  }
}

beforeAll(async () => {
  bundleDir = await forecastBundle();
  database = await openTestDatabase("postgres");
  // Seeded once here, so four services starting at once do not race to seed the policies.
  const db = database.handle.db;
  await new PolicyCatalog(async () => db).active();
  // All runtimes start at once; each describe block waits only for its own.
  for (const runtime of runtimeNames) {
    const pair = startPair(runtime);
    pair.catch(() => {}); // reported by the tests that await it
    pairs.set(runtime, pair);
  }
});

afterAll(async () => {
  const settled = await Promise.allSettled(pairs.values());
  await Promise.all(
    settled.flatMap((s) =>
      s.status === "fulfilled" ? [s.value.forecast.stop(), s.value.decision.stop()] : [],
    ),
  );
  removeWorkerBundles();
  await database?.cleanup();
});

/** Every request is bounded: a dead server fails the test quickly instead of timing it out
 * (a bun test timeout kills every process the file spawned, which would take the other
 * runtimes' servers down with it). */
function call(svc: RunningService, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${svc.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(4000) });
}

// Per-test budget, above call()'s bound (bun's default of 5 s is too tight under load).
setDefaultTimeout(20_000);

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function errorOf(res: Response) {
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  const body = (await res.json()) as {
    error: { code: string; message: string; details?: unknown };
  };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.code).toBe("string");
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

async function metricsOf(svc: RunningService) {
  const res = await call(svc, `/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type") ?? "").toContain("text/plain");
  expect(res.headers.get("content-type") ?? "").toContain("version=0.0.4");
  return parseExposition(await res.text());
}

/** Waits (briefly) for log output to be flushed, then returns the lines mentioning `text`. */
async function logLinesWith(svc: RunningService, text: string): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const lines = svc
      .output()
      .split("\n")
      .filter((line) => line.includes(text));
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await Bun.sleep(50);
  }
}

/**
 * `value` with each number that is within 1.5e-9 (relative, above 1) of the reference's replaced
 * by it, the paths of those listed in `nearly`. /forecast rounds to 9 decimals, but JavaScript
 * engines and their versions differ in the last bits of Math.exp, log and pow, and after the
 * series and sums of a forecast a value that sits on a rounding boundary can come out one step
 * apart (a blend CLV of 3.941867291 on Bun and Node, 3.941867292 on Deno and workerd). Everything
 * else must be equal.
 */
function withinRounding(value: unknown, reference: unknown, nearly: string[], path = "$"): unknown {
  if (typeof value === "number" && typeof reference === "number") {
    const close = Math.abs(value - reference) <= 1.5e-9 * Math.max(1, Math.abs(reference));
    if (value === reference || !close) return value;
    nearly.push(`${path} ${value} vs ${reference}`);
    return reference;
  }
  if (Array.isArray(value) && Array.isArray(reference)) {
    return value.map((v, i) => withinRounding(v, reference[i], nearly, `${path}[${i}]`));
  }
  if (value && reference && typeof value === "object" && typeof reference === "object") {
    const ref = reference as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withinRounding(v, ref[k], nearly, `${path}.${k}`)]),
    );
  }
  return value;
}

// Before the per-runtime blocks: those stop each forecast service at their end.
describe("forecast: identical answers on every runtime", () => {
  test("POST /forecast (ids, summary, transactions, unknown id) and /model-info agree", async () => {
    const started = await Promise.allSettled(
      runtimeNames.map((r) => pairs.get(r) as Promise<RuntimePair>),
    );
    const running = started.flatMap((s, i) =>
      s.status === "fulfilled"
        ? [{ runtime: runtimeNames[i] as RuntimeName, svc: s.value.forecast }]
        : [],
    );
    expect(running.map((r) => r.runtime)).toEqual([...runtimeNames]);
    const ids = (await Bun.file(`${bundleDir}/customers.json`).json()).ids.slice(0, 40);
    const request = {
      horizon: { value: 26, unit: "week" },
      discount_rate: 0.1,
      customers: [
        ...ids.map((id: string) => ({ id })),
        { id: "s", summary: { frequency: 3, recency: 20.5, T: 35, monetary: 31.2 } },
        {
          id: "t",
          transactions: [
            { at: "1997-01-04", amount: 12.5 },
            { at: "1997-04-02", amount: 30 },
          ],
        },
        { id: "no-such-customer" },
      ],
    };
    const answers = [];
    const infos = [];
    for (const { svc } of running) {
      // Readiness first: the model loads in the background after the server listens.
      for (let i = 0; i < 100 && (await call(svc, "/ready")).status !== 200; i++)
        await Bun.sleep(100);
      const res = await call(svc, "/forecast", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request),
      });
      expect(res.status).toBe(200);
      const { generated_at: _, ...body } = (await res.json()) as Record<string, unknown>;
      answers.push(body);
      const {
        loaded_at: __,
        source: ___,
        polling: ____,
        ...info
      } = (await (await call(svc, "/model-info")).json()) as Record<string, unknown>;
      infos.push(info);
    }
    const forecasts = (answers[0] as { forecasts: Array<Record<string, unknown>> }).forecasts;
    expect(forecasts).toHaveLength(43);
    expect(forecasts.at(-1)?.error).toMatchObject({ code: "unknown_customer" });
    expect(forecasts.filter((f) => f.models).length).toBe(42);
    for (let i = 1; i < answers.length; i++) {
      const nearly: string[] = [];
      const body = withinRounding(answers[i], answers[0], nearly);
      expect({ runtime: running[i]?.runtime, body }).toEqual({
        runtime: running[i]?.runtime,
        body: answers[0],
      });
      if (nearly.length > 0) {
        console.log(`${running[i]?.runtime} vs ${running[0]?.runtime}: ${nearly.join("; ")}`);
      }
      expect(nearly.length).toBeLessThan(5); // a stray last digit, not a drift
      expect(infos[i]).toEqual(infos[0] as Record<string, unknown>);
    }
    // This test is the first to wait for all runtimes to start, as the per-runtime beforeAll
    // below does: it gets the same start-up budget.
  }, 90_000);
});

describe("decision: identical answers on every runtime, each one a decision_log row", () => {
  test("POST /decision (ids and a summary) agrees across runtimes and is recorded", async () => {
    const started = await Promise.allSettled(
      runtimeNames.map((r) => pairs.get(r) as Promise<RuntimePair>),
    );
    const running = started.flatMap((s, i) =>
      s.status === "fulfilled"
        ? [{ runtime: runtimeNames[i] as RuntimeName, svc: s.value.decision }]
        : [],
    );
    expect(running.map((r) => r.runtime)).toEqual([...runtimeNames]);
    const ids = (await Bun.file(`${bundleDir}/customers.json`).json()).ids.slice(0, 4);
    const customers = [
      ...ids.map((id: string) => ({ id })),
      { id: "s-1", summary: { frequency: 3, recency: 20.5, T: 35, monetary: 31.2 } },
    ];
    const actions = [
      { id: "email", cost: 0.5, uplift: 0.15, margin: 8 },
      { id: "call", cost: 6, uplift: 0.4, margin: 8 },
    ];
    const answers: Array<{ runtime: RuntimeName; bodies: unknown[] }> = [];
    const decisionIds: string[] = [];
    for (const { runtime, svc } of running) {
      const bodies = [];
      for (const customer of customers) {
        const res = await call(svc, "/decision", {
          method: "POST",
          headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
          body: JSON.stringify({ customer, horizon: { value: 13, unit: "week" }, actions }),
        });
        const body = (await res.json()) as Record<string, unknown>;
        expect({ runtime, status: res.status, body }).toMatchObject({ runtime, status: 200 });
        expect(body.decision_id).toMatch(uuid);
        decisionIds.push(body.decision_id as string);
        const { decision_id: _, ...rest } = body;
        bodies.push(rest);
      }
      answers.push({ runtime, bodies });
    }
    const first = answers[0] as { bodies: Array<{ model: unknown }> };
    expect(first.bodies[0]?.model).not.toBeNull();
    for (const answer of answers.slice(1)) {
      expect(answer).toEqual({ runtime: answer.runtime, bodies: answers[0]?.bodies as unknown[] });
    }
    // Every answered decision is a row (Bun/Node/Deno buffer it briefly; workerd writes first).
    const db = (database as TestDatabase).handle.db;
    let rows: Array<{ id: string }> = [];
    for (let i = 0; i < 50; i++) {
      rows = await db
        .select({ id: decisionLog.decisionId })
        .from(decisionLog)
        .where(inArray(decisionLog.decisionId, decisionIds));
      if (rows.length >= decisionIds.length) break;
      await Bun.sleep(100);
    }
    expect(rows.map((r) => r.id).sort()).toEqual([...decisionIds].sort());
  }, 60_000);
});

describe("malformed JSON: the same 400 on every runtime", () => {
  // JSON.parse's messages are the engine's (Bun: "JSON Parse error: Unexpected EOF", V8:
  // "Unexpected end of JSON input"); the answer must not depend on the runtime.
  test("POST /forecast and /decision with bodies that are not JSON answer alike", async () => {
    const started = await Promise.allSettled(
      runtimeNames.map((r) => pairs.get(r) as Promise<RuntimePair>),
    );
    const running = started.flatMap((s, i) =>
      s.status === "fulfilled" ? [{ runtime: runtimeNames[i] as RuntimeName, pair: s.value }] : [],
    );
    expect(running.map((r) => r.runtime)).toEqual([...runtimeNames]);
    // The second holds a raw NUL (a control character JSON strings may not hold unescaped).
    const bodies = ['{"horizon":', '{"customers":[{"id":"a\u0000b"}]}', "[1 2]", "{'a':1}"];
    const answers = [];
    for (const { runtime, pair } of running) {
      const seen = [];
      for (const [service, route] of [
        ["forecast", "/forecast"],
        ["decision", "/decision"],
      ] as const) {
        for (const body of bodies) {
          const res = await call(pair[service], route, {
            method: "POST",
            headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
            body,
          });
          seen.push({ route, body, status: res.status, answer: await res.json() });
        }
      }
      answers.push({ runtime, seen });
    }
    expect(answers[0]?.seen[0]?.status).toBe(400);
    for (const answer of answers.slice(1)) {
      expect(answer).toEqual({ runtime: answer.runtime, seen: answers[0]?.seen ?? [] });
    }
  }, 90_000);
});

for (const runtime of runtimeNames) {
  describe(`${runtime}`, () => {
    let pair: RuntimePair;
    beforeAll(async () => {
      const started = pairs.get(runtime);
      if (!started) throw new Error(`${runtime} was never started`);
      pair = await started;
    }, 90_000);

    for (const service of ["forecast", "decision"] as const) {
      const svc = () => {
        if (!pair) throw new Error(`${runtime} did not start; see the error above`);
        return pair[service];
      };

      test(`${service}: GET /health reports liveness`, async () => {
        const res = await call(svc(), `/health`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type") ?? "").toContain("application/json");
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.status).toBe("ok");
        expect(body.service).toBe(service);
        expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(typeof body.uptime_s).toBe("number");
        expect(body.uptime_s as number).toBeGreaterThanOrEqual(0);
      });

      test(`${service}: HEAD /health answers without a body`, async () => {
        const res = await call(svc(), `/health`, { method: "HEAD" });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("");
      });

      test(`${service}: X-Request-Id is echoed, or generated, and logged once`, async () => {
        const id = `conformance-${runtime}-${service}-${crypto.randomUUID()}`;
        const res = await call(svc(), `/health`, { headers: { "X-Request-Id": id } });
        expect(res.headers.get("x-request-id")).toBe(id);
        const generated = await call(svc(), `/health`);
        expect(generated.headers.get("x-request-id") ?? "").toMatch(uuid);

        const lines = await logLinesWith(svc(), id);
        expect(lines).toHaveLength(1);
        const line = JSON.parse(lines[0] as string);
        expect(line).toMatchObject({
          msg: "request",
          service,
          request_id: id,
          method: "GET",
          route: "/health",
          status: 200,
        });
        expect(typeof line.duration_ms).toBe("number");
      });

      test(`${service}: unknown path is a JSON 404`, async () => {
        const res = await call(svc(), `/no/such/route`);
        expect(res.status).toBe(404);
        const error = await errorOf(res);
        expect(error.code).toBe("not_found");
        expect(error.message).toContain("/no/such/route");
      });

      test(`${service}: wrong method is a JSON 405 with Allow`, async () => {
        const res = await call(svc(), `/health`, { method: "POST", body: "{}" });
        expect(res.status).toBe(405);
        expect(res.headers.get("allow")).toContain("GET");
        const error = await errorOf(res);
        expect(error.code).toBe("method_not_allowed");
      });

      test(`${service}: /metrics parses and counts requests by route, method and status`, async () => {
        const labels = { service, route: "/health", method: "GET", status: "200" };
        const before = await metricsOf(svc());
        const count0 = sampleValue(before, "http_requests_total", labels);
        const miss0 = sampleValue(before, "http_requests_total", {
          service,
          route: "unmatched",
          method: "GET",
          status: "404",
        });
        for (let i = 0; i < 3; i++) await (await call(svc(), `/health`)).body?.cancel();
        await (await call(svc(), `/not-a-route/123`)).body?.cancel();

        const after = await metricsOf(svc());
        expect(after.types.get("http_requests_total")).toBe("counter");
        expect(after.types.get("http_request_duration_seconds")).toBe("histogram");
        expect(sampleValue(after, "http_requests_total", labels)).toBe(count0 + 3);
        const unmatched = { service, route: "unmatched", method: "GET", status: "404" };
        expect(sampleValue(after, "http_requests_total", unmatched)).toBe(miss0 + 1);
        // The raw path never becomes a label value (bounded cardinality).
        expect(after.samples.some((s) => s.labels.route === "/not-a-route/123")).toBe(false);
        expect(sampleValue(after, "http_request_duration_seconds_count", labels)).toBe(count0 + 3);
        expect(
          sampleValue(after, "http_request_duration_seconds_bucket", { ...labels, le: "+Inf" }),
        ).toBe(count0 + 3);
      });

      test(`${service}: GET /ready is 200 while its dependencies are up`, async () => {
        // Decision opens (and migrates) its database on first use: /ready says "not answering
        // yet" until then, so give it the time it needs (bounded).
        let res = await call(svc(), `/ready`);
        for (let i = 0; i < 200 && res.status !== 200; i++) {
          await res.text();
          await Bun.sleep(200);
          res = await call(svc(), `/ready`);
        }
        const text = await res.text();
        expect(`${res.status} ${text.slice(0, 300)}`).toStartWith("200 ");
        const body = JSON.parse(text) as { status: string; checks: Array<{ ok: boolean }> };
        expect(body.status).toBe("ready");
        expect(body.checks.every((c) => c.ok)).toBe(true);
      }, 60_000);

      for (const route of jsonPostRoutes[service]) {
        test(`${service}: POST ${route} with malformed JSON is a 400 naming the problem`, async () => {
          const res = await call(svc(), route, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: '{"customer_id": ',
          });
          expect(res.status).toBe(400);
          const error = await errorOf(res);
          expect(error.message).toContain("JSON");
        });
      }
    }

    // Last: with forecast stopped, decision's readiness names it as degraded (decisions still
    // work: they fall back or fail per policy, and are recorded either way).
    test("decision: GET /ready reports forecast degraded once forecast is down", async () => {
      await pair.forecast.stop();
      const res = await call(pair.decision, `/ready`);
      const body = (await res.json()) as {
        status?: string;
        checks?: Array<{ name: string; status: string }>;
        error?: { details: { checks: Array<{ name: string; status: string }> } };
      };
      expect(res.status).toBe(200);
      expect(body.status).toBe("degraded");
      const checks = body.checks ?? body.error?.details.checks ?? [];
      expect(checks).toContainEqual(
        expect.objectContaining({ name: "forecast", status: "degraded" }),
      );
    });
  });
}
