import { describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp as createForecastApp } from "../../forecast/src/app.ts";
import { parseConfig as parseForecastConfig } from "../../forecast/src/config.ts";
import { buildForecastDeps } from "../../forecast/src/deps.ts";
import { createApp } from "./app.ts";
import { parseConfig } from "./config.ts";
import { buildDecisionDeps, forecastReadyCheck } from "./deps.ts";

const quiet = createLogger({ sink: () => {} });

describe("decision config", () => {
  test("defaults to port 8002 and a local forecast service", () => {
    const config = parseConfig({});
    expect(config.PORT).toBe(8002);
    expect(config.FORECAST_URL).toBe("http://127.0.0.1:8001");
  });

  test("API_KEY_CHECK_MS: 1000 by default, 100 at the least, named when out of range", () => {
    expect(parseConfig({}).API_KEY_CHECK_MS).toBe(1000);
    expect(parseConfig({ API_KEY_CHECK_MS: "100" }).API_KEY_CHECK_MS).toBe(100);
    expect(() => parseConfig({ API_KEY_CHECK_MS: "10" })).toThrow(/API_KEY_CHECK_MS/);
    expect(() => parseConfig({ API_KEY_CHECK_MS: "1s" })).toThrow(/API_KEY_CHECK_MS/);
  });

  test("API_KEY_CHECK_MS reaches the key ring", () => {
    const deps = buildDecisionDeps(parseConfig({ API_KEY_CHECK_MS: "250" }), {
      runtime: "test",
      overrides: { logger: quiet },
    });
    expect(deps.apiKeys.checkMs).toBe(250);
  });

  test("a bad FORECAST_URL is named", () => {
    expect(() => parseConfig({ FORECAST_URL: "forecast:8001/x y" })).toThrow(/FORECAST_URL/);
  });
});

describe("decision readiness", () => {
  test("ready when the forecast service answers (forecast app served in-process)", async () => {
    const forecast = createForecastApp(
      buildForecastDeps(parseForecastConfig({}), { runtime: "test", overrides: { logger: quiet } }),
    );
    const config = parseConfig({ FORECAST_URL: "http://forecast.internal:8001" });
    const seen: string[] = [];
    const viaApp = (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(String(input));
      return forecast.request(String(input), init);
    }) as typeof fetch;
    const app = createApp(
      buildDecisionDeps(config, {
        runtime: "test",
        overrides: { logger: quiet, readiness: [forecastReadyCheck(config, viaApp)] },
      }),
    );
    const res = await app.request("/ready");
    expect(res.status).toBe(200);
    expect(seen).toEqual(["http://forecast.internal:8001/ready"]);
  });

  test("degraded (still ready) naming forecast when it does not answer; no URL or error text", async () => {
    const config = parseConfig({ FORECAST_URL: "http://forecast.internal:8001" });
    const refused = (async () => {
      throw new TypeError("connection refused");
    }) as unknown as typeof fetch;
    const app = createApp(
      buildDecisionDeps(config, {
        runtime: "test",
        overrides: { logger: quiet, readiness: [forecastReadyCheck(config, refused)] },
      }),
    );
    const res = await app.request("/ready");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: unknown[] };
    expect(body.status).toBe("degraded");
    expect(body.checks[0]).toMatchObject({
      name: "forecast",
      status: "degraded",
      reason: "forecast unreachable",
    });
  });

  test("the default deps check the configured FORECAST_URL", async () => {
    const deps = buildDecisionDeps(parseConfig({}), { runtime: "test" });
    expect(deps.readiness.map((c) => c.name)).toEqual(["forecast", "decision_log", "policy"]);
  });
});
