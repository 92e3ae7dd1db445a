// Property tests (fast-check) against both service apps in-process with real dependencies:
// thousands of random and adversarial requests to every endpoint; each answer is a valid result
// or a 4xx JSON error, never a 5xx. Body size limits are checked with real 10+ MB bodies.
// FC_SEED=<n> replays a run; FC_RUNS=<n> changes the number of requests per service.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  checkAnswer,
  invalidUtf8Json,
  type RequestSpec,
  requestArb,
} from "../testing/adversarial-requests.ts";
import {
  demoCustomerIds,
  type InProcessServices,
  startInProcessServices,
} from "../testing/in-process-services.ts";
import {
  authorizations,
  decisionEndpoints,
  forecastEndpoints,
  validDecision,
  validForecast,
} from "../testing/service-endpoints.ts";

const runs = Number(process.env.FC_RUNS ?? 3000);
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
let services: InProcessServices;
let ids: string[];

beforeAll(async () => {
  services = await startInProcessServices({ decision: { ADMIN_API_KEYS: "k-admin" } });
  ids = (await demoCustomerIds()).slice(0, 50);
}, 120_000);

afterAll(async () => {
  await services?.close();
});

function send(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  spec: RequestSpec,
) {
  return app.request(spec.path, {
    method: spec.method,
    headers: spec.headers,
    ...(spec.body ? { body: spec.body as BodyInit } : {}),
  });
}

function tally(statuses: Map<string, number>, answer: { status: number; code?: string }) {
  const key = answer.code ? `${answer.status} ${answer.code}` : String(answer.status);
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
}

function okShare(statuses: Map<string, number>): number {
  let ok = 0;
  let all = 0;
  for (const [key, n] of statuses) {
    all += n;
    if (key.startsWith("2")) ok += n;
  }
  return ok / all;
}

describe("random and adversarial requests (in-process, real dependencies)", () => {
  test(`forecast: ${runs} requests, never a 5xx`, async () => {
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requestArb(forecastEndpoints(ids)), async (spec) => {
        tally(
          statuses,
          await checkAnswer(spec, await send(services.forecast, spec), validForecast),
        );
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    console.log("forecast answers:", Object.fromEntries([...statuses].sort()));
    // The generator must reach real results, not only errors.
    expect(okShare(statuses)).toBeGreaterThan(0.1);
    expect((await services.forecast.request("/health")).status).toBe(200);
  }, 120_000);

  test(`decision: ${runs} requests, never a 5xx`, async () => {
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        requestArb(decisionEndpoints(ids), { authorization: authorizations }),
        async (spec) => {
          tally(
            statuses,
            await checkAnswer(spec, await send(services.decision, spec), validDecision),
          );
        },
      ),
      { numRuns: runs, seed, endOnFailure: true },
    );
    console.log("decision answers:", Object.fromEntries([...statuses].sort()));
    expect(okShare(statuses)).toBeGreaterThan(0.1);
    // Whatever the fuzzing activated, decisions still work.
    const res = await services.decision.request("/decision", {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        customer: { id: ids[0] },
        horizon: { value: 4, unit: "week" },
        actions: [{ id: "email", cost: 1, uplift: 0.1, margin: 10 }],
      }),
    });
    expect(res.status).toBe(200);
  }, 120_000);
});

describe("body size limits", () => {
  const big = (bytes: number) => `{"customers":"${"x".repeat(bytes - 16)}"}`;
  const post = (
    app: InProcessServices["forecast"],
    path: string,
    body: string | Uint8Array,
    key = path.startsWith("/admin") ? "k-admin" : "k",
  ) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: body as BodyInit,
    });

  test("forecast: over MAX_BODY_BYTES (10 MiB) is 413; a 10 MB body is read and judged (400)", async () => {
    const over = await post(services.forecast, "/forecast", big(10 * 1024 * 1024 + 1));
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
    const tenMb = await post(services.forecast, "/forecast", big(10_000_000));
    expect(tenMb.status).toBe(400);
  });

  test("decision: /decision, /decision/batch and the admin API 413 over 10 MiB, as /forecast", async () => {
    for (const path of ["/decision", "/decision/batch", "/admin/policies"]) {
      const res = await post(services.decision, path, big(10 * 1024 * 1024 + 1));
      expect(res.status).toBe(413);
      // Without a key the key is what is wrong: a 401, the body not read.
      expect((await post(services.decision, path, big(10 * 1024 * 1024 + 1), "none")).status).toBe(
        401,
      );
    }
    expect((await post(services.decision, "/decision/batch", big(10_000_000))).status).toBe(400);
  });

  test("invalid UTF-8 inside a JSON string is a 400 naming the byte, not read as U+FFFD", async () => {
    for (const [app, path] of [
      [services.forecast, "/forecast"],
      [services.decision, "/decision"],
    ] as const) {
      const res = await post(app, path, invalidUtf8Json);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { details: unknown } };
      expect(error.details).toEqual([
        { path: "body", message: expect.stringMatching(/^not UTF-8 from byte \d+ \(/) },
      ]);
    }
  });
});
