// Real answers of the forecast service against its own /openapi.json: every route's success and
// main error answers (no model yet, keys required, rate-limited) have a documented status, a body
// that fits the documented schema, and documented Retry-After headers.
import { beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openApiResponseChecker } from "@pp/shared/testing/openapi-responses.ts";
import type { Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { appServingBundle } from "../testing/bundle-app.ts";
import { trainDemoBundle } from "../testing/demo-bundle.ts";
import { exampleRequest } from "./openapi.ts";

const KEY = "probe-forecast-key-0123456789";
let files: Map<string, Uint8Array>;
let app: Hono<never>;
let ids: string[];
let checker: ReturnType<typeof openApiResponseChecker>;

beforeAll(async () => {
  files = (await trainDemoBundle({ customers: 200, seed: 4 })).files;
  ({ app, ids } = await appServingBundle(files));
  checker = openApiResponseChecker(await (await app.request("/openapi.json")).json());
}, 180_000);

interface Call {
  method?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  on?: Pick<Hono<never>, "request">;
}

/** One request, its answer checked against the document; resolves to the status. */
async function call(path: string, options: Call = {}): Promise<number> {
  const method = options.method ?? (options.body !== undefined || options.raw ? "POST" : "GET");
  const res = await (options.on ?? app).request(path, {
    method,
    headers: { "content-type": "application/json", ...options.headers },
    ...(options.raw !== undefined ? { body: options.raw } : {}),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  expect(await checker.problemsOf(method.toLowerCase(), path, res)).toEqual([]);
  return res.status;
}

const request = () => ({
  ...exampleRequest,
  customers: [{ id: ids[0] }, { id: "ghost" }, ...exampleRequest.customers.slice(0, 1)],
});

describe("forecast answers fit the forecast service's /openapi.json", () => {
  test("operational routes", async () => {
    for (const path of ["/health", "/ready", "/metrics", "/openapi.json", "/docs"]) {
      expect(await call(path)).toBe(200);
    }
  });

  test("POST /forecast and GET /model-info: answers, intervals, distributions, errors", async () => {
    expect(await call("/forecast", { body: request() })).toBe(200);
    const rich = { ...request(), intervals: [0.8, 0.95], distribution: true };
    expect(await call("/forecast", { body: rich })).toBe(200);
    expect(await call("/forecast", { body: { ...rich, intervals: [0.8, 0.8] } })).toBe(400);
    expect(await call("/forecast", { raw: "{nope" })).toBe(400);
    const text = { raw: "{}", headers: { "content-type": "text/plain" } };
    expect(await call("/forecast", text)).toBe(415);
    expect(await call("/forecast", { raw: JSON.stringify({ pad: "x".repeat(11 << 20) }) })).toBe(
      413,
    );
    expect(await call("/model-info")).toBe(200);
  });

  test("no model yet: 503", async () => {
    const quiet = createLogger({ sink: () => {} });
    const empty = createApp(
      buildForecastDeps(parseConfig({}), { runtime: "test", overrides: { logger: quiet } }),
    );
    expect(await call("/forecast", { body: exampleRequest, on: empty })).toBe(503);
    expect(await call("/model-info", { on: empty })).toBe(503);
    expect(await call("/ready", { on: empty })).toBe(503);
  });

  test("with keys and a rate limit: 401 without a key, 200 with either header, then 429", async () => {
    const env = { FORECAST_API_KEYS: KEY, RATE_LIMIT_RPS: "0.001", RATE_LIMIT_BURST: "2" };
    const { app: keyed } = await appServingBundle(files, env);
    expect(await call("/model-info", { on: keyed })).toBe(401);
    expect(await call("/model-info", { on: keyed, headers: { "X-API-Key": KEY } })).toBe(200);
    const bearer = { authorization: `Bearer ${KEY}` };
    expect(await call("/forecast", { on: keyed, headers: bearer, body: request() })).toBe(200);
    expect(await call("/forecast", { on: keyed, headers: bearer, body: request() })).toBe(429);
    // Without a key, per client address: the 401 took one of its two tokens.
    expect(await call("/openapi.json", { on: keyed })).toBe(200);
    expect(await call("/openapi.json", { on: keyed })).toBe(429);
  });

  test("the document names both ways to send a key", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as {
      components: { securitySchemes?: Record<string, { type: string; name?: string }> };
    };
    expect(Object.values(doc.components.securitySchemes ?? {})).toContainEqual(
      expect.objectContaining({ type: "apiKey", name: "X-API-Key" }),
    );
  });
});
