// Rate limiting as configured from the environment, over real HTTP (Bun.serve): per API key on the
// decision service, per client address on the forecast service; 429 JSON + Retry-After; probes
// are never limited. Requests are deliberately invalid (400): the limit applies before any work.

import { afterAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  buildDecisionDeps,
  createApp as createDecisionApp,
  parseConfig as parseDecisionConfig,
} from "../decision/src/index.ts";
import {
  buildForecastDeps,
  createApp as createForecastApp,
  parseConfig as parseForecastConfig,
} from "../forecast/src/index.ts";

const quiet = createLogger({ sink: () => {} });
const servers: Array<ReturnType<typeof Bun.serve>> = [];
afterAll(() => {
  for (const s of servers) s.stop(true);
});

/** Serves an app the way the Bun entries do (the server is the app's env: client addresses). */
function serve(app: { fetch: (req: Request, env: never) => Response | Promise<Response> }) {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => app.fetch(req, srv as never),
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });

describe("RATE_LIMIT_RPS / RATE_LIMIT_BURST", () => {
  test("decision: per API key; 429 JSON with Retry-After; other keys and probes unaffected", async () => {
    const config = parseDecisionConfig({
      API_KEYS: "key-a,key-b",
      RATE_LIMIT_RPS: "0.5",
      RATE_LIMIT_BURST: "3",
    });
    const app = createDecisionApp(
      buildDecisionDeps(config, { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    const a = { authorization: "Bearer key-a" };
    for (let i = 0; i < 3; i++) expect((await post(`${base}/decision`, a)).status).toBe(400);
    const limited = await post(`${base}/decision`, a);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("content-type")).toContain("application/json");
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect((await post(`${base}/decision`, { authorization: "Bearer key-b" })).status).toBe(400);
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  test("decision: a flood of random invalid keys is limited per client address (401, then 429)", async () => {
    const config = parseDecisionConfig({
      API_KEYS: "key-a",
      RATE_LIMIT_RPS: "0.5",
      RATE_LIMIT_BURST: "3",
    });
    const app = createDecisionApp(
      buildDecisionDeps(config, { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(`${base}/decision`, {
        authorization: `Bearer random-${crypto.randomUUID()}`,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // A valid key has its own bucket.
    expect((await post(`${base}/decision`, { authorization: "Bearer key-a" })).status).toBe(400);
  });

  test("forecast: a random X-API-Key per request gets no fresh bucket", async () => {
    const config = parseForecastConfig({ RATE_LIMIT_RPS: "1", RATE_LIMIT_BURST: "2" });
    const app = createForecastApp(
      buildForecastDeps(config, { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await post(`${base}/forecast`, { "x-api-key": crypto.randomUUID() })).status);
    }
    expect(statuses).toEqual([400, 400, 429, 429]);
  });

  test("forecast: a made-up CF-Connecting-IP per request gets no fresh bucket", async () => {
    const config = parseForecastConfig({ RATE_LIMIT_RPS: "1", RATE_LIMIT_BURST: "2" });
    const app = createForecastApp(
      buildForecastDeps(config, { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const ip = `198.51.100.${i}`;
      statuses.push((await post(`${base}/forecast`, { "cf-connecting-ip": ip })).status);
    }
    expect(statuses).toEqual([400, 400, 429, 429]);
  });

  test("forecast: without a key, the client address is limited", async () => {
    const config = parseForecastConfig({ RATE_LIMIT_RPS: "1", RATE_LIMIT_BURST: "2" });
    const app = createForecastApp(
      buildForecastDeps(config, { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    expect((await post(`${base}/forecast`)).status).toBe(400);
    expect((await post(`${base}/forecast`)).status).toBe(400);
    const limited = await post(`${base}/forecast`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  test("forecast with FORECAST_API_KEYS: 401 without a key; per verified key, else per address", async () => {
    const config = parseForecastConfig({
      FORECAST_API_KEYS: "fk-1,fk-2",
      RATE_LIMIT_RPS: "0.5",
      RATE_LIMIT_BURST: "2",
    });
    const app = createForecastApp(
      buildForecastDeps(config, { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    const statuses = async (headers: Record<string, string>, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await post(`${base}/forecast`, headers)).status);
      return out;
    };
    expect(await statuses({ "x-api-key": "fk-1" }, 3)).toEqual([400, 400, 429]);
    expect(await statuses({ authorization: "Bearer fk-2" }, 1)).toEqual([400]); // its own bucket
    // Made-up keys share the address bucket: 401, 401, then 429.
    expect(await statuses({ "x-api-key": crypto.randomUUID() }, 3)).toEqual([401, 401, 429]);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  test("decision sends FORECAST_API_KEY to a forecast that requires keys", async () => {
    const forecast = createForecastApp(
      buildForecastDeps(parseForecastConfig({ FORECAST_API_KEYS: "fk-1" }), {
        runtime: "test",
        overrides: { logger: quiet },
      }),
    );
    const forecastBase = serve(forecast);
    const db = await openTestDatabase("pglite");
    const seen: Array<string | null> = [];
    const decision = createDecisionApp(
      buildDecisionDeps(
        parseDecisionConfig({
          API_KEYS: "k",
          FORECAST_URL: forecastBase,
          FORECAST_API_KEY: "fk-1",
        }),
        {
          runtime: "test",
          database: async () => db.handle.db,
          forecastTransport: async (request) => {
            seen.push(request.headers.get("x-api-key"));
            return fetch(request);
          },
          overrides: { logger: quiet },
        },
      ),
    );
    const res = await decision.request("/decision", {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        customer: { id: "c-1" },
        horizon: { value: 4, unit: "week" },
        actions: [{ id: "email", cost: 1, uplift: 0.1, margin: 10 }],
      }),
    });
    await res.text();
    await db.cleanup();
    expect(seen).toEqual(["fk-1"]);
    // (forecast has no model here: what matters is that the key travelled)
  });

  test("unset: no limit", async () => {
    const app = createForecastApp(
      buildForecastDeps(parseForecastConfig({}), { runtime: "test", overrides: { logger: quiet } }),
    );
    const base = serve(app);
    for (let i = 0; i < 30; i++) expect((await post(`${base}/forecast`)).status).toBe(400);
  });
});
