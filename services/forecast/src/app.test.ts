import { describe, expect, test } from "bun:test";
import type { ReadinessCheck } from "@pp/shared/http/readiness.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "./app.ts";
import { parseConfig } from "./config.ts";
import { buildForecastDeps, type ForecastDeps } from "./deps.ts";

function testApp(overrides: Partial<ForecastDeps> = {}) {
  const lines: string[] = [];
  let clock = 0;
  const deps = buildForecastDeps(parseConfig({}), {
    runtime: "test",
    overrides: {
      logger: createLogger({ sink: (l) => lines.push(l) }),
      now: () => clock,
      ...overrides,
    },
  });
  const advance = (ms: number) => {
    clock += ms;
  };
  return { app: createApp(deps), deps, lines, advance };
}

describe("forecast config", () => {
  test("defaults to port 8001 and PORT overrides", () => {
    expect(parseConfig({}).PORT).toBe(8001);
    expect(parseConfig({ PORT: "9001" }).PORT).toBe(9001);
  });

  test("a bad variable is named", () => {
    expect(() => parseConfig({ PORT: "x" })).toThrow(
      /PORT: must be an integer from 0 to 65535, in decimal digits/,
    );
    expect(() => parseConfig({ LOG_LEVEL: "chatty" })).toThrow(/LOG_LEVEL/);
  });
});

describe("forecast app", () => {
  test("GET /health reports service, version and uptime from the injected clock", async () => {
    const { app, advance } = testApp();
    advance(2500);
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "ok",
      service: "forecast",
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      uptime_s: 2.5,
    });
  });

  test("GET /ready is 503 naming the model until one is loaded", async () => {
    const { app } = testApp();
    const res = await app.request("/ready");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toContain("model: loading model from none");
  });

  test("GET /ready is 200 with no checks", async () => {
    const { app } = testApp({ readiness: [] });
    const res = await app.request("/ready");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: [] });
  });

  test("GET /ready is 503 with the reason while a check fails", async () => {
    let loaded = false;
    const model: ReadinessCheck = {
      name: "model",
      check: async () => (loaded ? { ok: true } : { ok: false, reason: "no model registered" }),
    };
    const { app } = testApp({ readiness: [model] });
    const res = await app.request("/ready");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as {
      error: { code: string; message: string; details: unknown };
    };
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toBe("Not ready: model: no model registered");
    expect(body.error.details).toEqual({
      checks: [
        {
          name: "model",
          status: "failing",
          ok: false,
          reason: "no model registered",
          duration_ms: 0,
        },
      ],
    });
    loaded = true;
    expect((await app.request("/ready")).status).toBe(200);
  });

  test("GET /metrics serves the registry with service_info and request counts", async () => {
    const { app } = testApp();
    await app.request("/health");
    const res = await app.request("/metrics");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text).toContain('service_info{service="forecast",version="');
    expect(text).toContain(
      'http_requests_total{service="forecast",route="/health",method="GET",status="200"} 1',
    );
  });

  test("logs one line per request", async () => {
    const { app, lines } = testApp();
    await app.request("/health");
    await app.request("/nope");
    const requests = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "request");
    expect(requests.map((r) => [r.route, r.status])).toEqual([
      ["/health", 200],
      ["unmatched", 404],
    ]);
    expect(requests[0].request_id).toEqual(expect.any(String));
  });
});
