// The decision service against the real forecast app, called in-process (both apps in one
// process), serving an exported demo bundle trained from the current recipe.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp as createForecastApp } from "../../../forecast/src/app.ts";
import { parseConfig as parseForecastConfig } from "../../../forecast/src/config.ts";
import { buildForecastDeps } from "../../../forecast/src/deps.ts";
import { bundleModelSource } from "../../../forecast/src/model/model-sources.ts";
import { typescriptEngine } from "../../../forecast/src/model/typescript-engine.ts";
import { demoBundleDir } from "../../../forecast/src/testing/demo-bundle-dir.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";

const quiet = createLogger({ sink: () => {} });
let bundleDir: string;
const headers = { Authorization: "Bearer k", "content-type": "application/json" };
const horizon = { value: 26, unit: "week" };
const actions = [
  { id: "email", cost: 0.3, uplift: 0.1, margin: 12 },
  { id: "call", cost: 4, uplift: 0.35, margin: 12 },
];
let testDb: TestDatabase;
let forecastApp: ReturnType<typeof createForecastApp>;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;
let customerIds: string[];

beforeAll(async () => {
  bundleDir = `${await demoBundleDir({ customers: 1500, seed: 5 })}/`;
  const forecastDeps = buildForecastDeps(parseForecastConfig({}), {
    runtime: "test",
    modelSource: bundleModelSource({
      read: async (name) => new Uint8Array(await readFile(`${bundleDir}${name}`)),
      description: "worker-model bundle",
      engine: typescriptEngine,
    }),
    overrides: { logger: quiet },
  });
  await forecastDeps.model.refresh();
  forecastApp = createForecastApp(forecastDeps);
  const customers = JSON.parse(await readFile(`${bundleDir}customers.json`, "utf8")) as {
    ids: string[];
  };
  customerIds = customers.ids;
  testDb = await openTestDatabase("postgres");
  deps = buildDecisionDeps(parseConfig({ API_KEYS: "k", ADMIN_API_KEYS: "admin" }), {
    runtime: "test",
    database: async () => testDb.handle.db,
    forecastTransport: inProcessTransport(forecastApp),
    overrides: { logger: quiet },
  });
  app = createApp(deps);
}, 60_000);

afterAll(async () => {
  await deps?.audit.close(5000);
  await testDb?.cleanup();
});

describe("with the real forecast service in-process", () => {
  test("profits are the forecast's expected purchases × uplift × margin − cost", async () => {
    const id = customerIds[0] as string;
    const res = await app.request("/decision", {
      method: "POST",
      headers,
      body: JSON.stringify({ customer: { id }, horizon, actions }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      model: { name: string; version: number };
      forecast: { model: string; expected_purchases: number };
      ranked: Array<{ id: string; expected_profit: number }>;
    };
    const direct = (await (
      await forecastApp.request("/forecast", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ horizon, customers: [{ id }] }),
      })
    ).json()) as {
      model: { name: string; version: number };
      forecasts: Array<{
        recommended: string;
        models: Record<string, { expected_purchases: number }>;
      }>;
    };
    const item = direct.forecasts[0] as (typeof direct.forecasts)[number];
    expect(answer.model).toEqual({ name: direct.model.name, version: direct.model.version });
    expect(answer.forecast.model).toBe(item.recommended);
    const x = item.models[item.recommended]?.expected_purchases as number;
    expect(answer.forecast.expected_purchases).toBe(x);
    const profit = Object.fromEntries(answer.ranked.map((r) => [r.id, r.expected_profit]));
    expect(profit.email).toBeCloseTo(x * 0.1 * 12 - 0.3, 12);
    expect(profit.call).toBeCloseTo(x * 0.35 * 12 - 4, 12);
  });

  test("a batch of 1,000 customers by id selects within the budget", async () => {
    const res = await app.request("/decision/batch", {
      method: "POST",
      headers,
      body: JSON.stringify({
        customers: customerIds.slice(0, 1000).map((id) => ({ id })),
        horizon,
        actions,
        budget: 150,
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      totals: { customers: number; cost: number; expected_profit: number };
      selection: { lp_upper_bound: number };
      errors: unknown[];
      considered: number;
    };
    expect(body.errors).toEqual([]);
    expect(body.considered).toBe(1000);
    expect(body.totals.cost).toBeLessThanOrEqual(150);
    expect(body.totals.customers).toBeGreaterThan(0);
    expect(body.selection.lp_upper_bound).toBeGreaterThanOrEqual(body.totals.expected_profit);
    expect(await deps.audit.drain(10_000)).toBe(true);
  });

  // lapsing-uplift divides expected purchases by P(alive). The blend (recommended here) and gbdt
  // serve BG/NBD's P(alive) beside purchases of their own, so the quotient mixed two models: on
  // the 1,000-customer demo population the blend's purchases-if-alive was 0.34 to 2.6 times
  // BG/NBD's, gbdt's up to 13.5 times (54.7 against 4.0). The policy now takes both from BG/NBD.
  test("lapsing-uplift takes purchases and P(alive) from one model, not the blend", async () => {
    const admin = { ...headers, Authorization: "Bearer admin" };
    expect((await app.request("/admin/policies/active", { headers: admin })).status).toBe(200);
    const activate = (name: string) =>
      app.request(`/admin/policies/${name}/versions/1/activate`, {
        method: "POST",
        headers: admin,
      });
    expect((await activate("lapsing-uplift")).status).toBe(200);
    try {
      const direct = (await (
        await forecastApp.request("/forecast", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ horizon, customers: customerIds.map((id) => ({ id })) }),
        })
      ).json()) as {
        forecasts: Array<{
          id: string;
          recommended: string;
          models: Record<string, { expected_purchases: number; p_alive: number }>;
        }>;
      };
      // The most lapsed customers, and every 10th of the others the policy contacts.
      const lapsing = direct.forecasts
        .filter((f) => (f.models.bgnbd?.p_alive ?? 1) < 0.7)
        .sort((a, b) => (a.models.bgnbd?.p_alive ?? 0) - (b.models.bgnbd?.p_alive ?? 0))
        .filter((_, i) => i < 10 || i % 10 === 0);
      expect(lapsing.length).toBeGreaterThan(20);
      for (const item of lapsing) {
        expect(item.recommended).toBe("blend");
        const res = await app.request("/decision", {
          method: "POST",
          headers,
          body: JSON.stringify({ customer: { id: item.id }, horizon, actions }),
        });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as {
          forecast: { model: string };
          ranked: Array<{ id: string; expected_profit: number; reasons: string[] }>;
        };
        expect([item.id, answer.forecast.model]).toEqual([item.id, "bgnbd"]);
        const bg = item.models.bgnbd as { expected_purchases: number; p_alive: number };
        const base = (1 - bg.p_alive) * (bg.expected_purchases / bg.p_alive);
        const profit = Object.fromEntries(answer.ranked.map((r) => [r.id, r.expected_profit]));
        expect(profit.email).toBeCloseTo(base * 0.1 * 12 - 0.3, 9);
        expect(answer.ranked[0]?.reasons.join(" ")).toContain("blend has no P(alive) of its own");
      }
    } finally {
      expect((await activate("default")).status).toBe(200);
    }
  });
});
