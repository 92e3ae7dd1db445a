// POST /forecast on a bundle without a spend model (trained on a log without amounts, or with too
// few repeat buyers with a spend, so Gamma-Gamma was not fitted): every customer gets purchases,
// P(alive) and P(purchase), and null spend and CLV, as the schema says; none fails.
import { beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import type { Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { encodeBundle } from "../model/exported-bundle.ts";
import { bundleModelSource } from "../model/model-sources.ts";
import { typescriptEngine } from "../model/typescript-engine.ts";
import { memoryReader, trainDemoBundle } from "../testing/demo-bundle.ts";

let app: Hono<never>;
let ids: string[];

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 400, seed: 5 });
  // The manifest as `ml train` writes it when Gamma-Gamma is not fitted.
  const manifest = JSON.parse(new TextDecoder().decode(demo.raw.files.get("model.json")));
  manifest.gamma_gamma = null;
  if (manifest.uncertainty?.covariances) manifest.uncertainty.covariances.gamma_gamma = null;
  const files = new Map(demo.raw.files);
  files.set("model.json", new TextEncoder().encode(JSON.stringify(manifest)));
  const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0" }), {
    runtime: "test",
    modelSource: bundleModelSource({
      read: memoryReader(await encodeBundle({ ...demo.raw, files })),
      description: "test",
      engine: typescriptEngine,
    }),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  app = createApp(deps) as unknown as Hono<never>;
  expect(await deps.model.refresh()).toBe("loaded");
  ids = deps.model.current?.customers.columns.ids.slice(0, 30) ?? [];
}, 120_000);

test("every customer is forecast, with null spend and CLV in every model", async () => {
  const res = await app.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      horizon: { value: 26, unit: "week" },
      intervals: [0.8],
      customers: [
        ...ids.map((id) => ({ id })),
        { id: "s", summary: { frequency: 3, recency: 20, T: 30, monetary: 40 } },
      ],
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    forecasts: { id: string; error?: unknown; models?: Record<string, Record<string, unknown>> }[];
  };
  expect(body.forecasts).toHaveLength(ids.length + 1);
  for (const item of body.forecasts) {
    expect({ id: item.id, error: item.error }).toEqual({ id: item.id, error: undefined });
    const models = item.models ?? {};
    expect(Object.keys(models)).toContain("bgnbd");
    for (const [name, m] of Object.entries(models)) {
      expect({ name, spend: m.expected_spend, clv: m.clv }).toEqual({
        name,
        spend: null,
        clv: null,
      });
      expect(Number.isFinite(m.expected_purchases)).toBe(true);
      expect((m.intervals as Record<string, { spend: unknown }>)["0.8"]?.spend).toBeNull();
    }
  }
});
