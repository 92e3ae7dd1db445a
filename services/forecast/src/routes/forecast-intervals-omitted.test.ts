// A bundle whose Pareto/NBD intervals are omitted (what training writes when that fit stopped at
// the edge of its likelihood's domain; whether a fit gets there first or hits its time budget
// depends on the machine's load, so the manifest is set here): POST /forecast with "intervals"
// answers every model, Pareto/NBD with "intervals_unavailable" and the reason.
import { beforeAll, expect, test } from "bun:test";
import { DOMAIN_EDGE_OMISSION } from "@pp/ml/forecasting/parameter-uncertainty.ts";
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
let manifest: { uncertainty?: { covariances: Record<string, unknown> } };

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 400, seed: 5 });
  manifest = JSON.parse(new TextDecoder().decode(demo.raw.files.get("model.json")));
  const covariances = manifest.uncertainty?.covariances as Record<string, unknown>;
  covariances.pareto_nbd = null;
  covariances.omitted = { pareto_nbd: DOMAIN_EDGE_OMISSION };
  demo.raw.files.set("model.json", new TextEncoder().encode(JSON.stringify(manifest)));
  const files = await encodeBundle(demo.raw);
  const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0" }), {
    runtime: "test",
    modelSource: bundleModelSource({
      read: memoryReader(files),
      description: "test",
      engine: typescriptEngine,
    }),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  app = createApp(deps) as unknown as Hono<never>;
  expect(await deps.model.refresh()).toBe("loaded");
  ids = deps.model.current?.customers.columns.ids.slice(0, 20) ?? [];
}, 180_000);

test("/forecast serves the other models' intervals and says why Pareto/NBD has none", async () => {
  const res = await app.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      horizon: { value: 26, unit: "week" },
      intervals: [0.8, 0.95],
      customers: [
        ...ids.map((id) => ({ id })),
        { id: "s", summary: { frequency: 3, recency: 20, T: 30, monetary: 40 } },
      ],
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    forecasts: { models: Record<string, Record<string, unknown>> }[];
  };
  expect(body.forecasts.length).toBe(ids.length + 1);
  for (const f of body.forecasts) {
    expect(f.models.pareto_nbd?.intervals).toBeUndefined();
    expect(f.models.pareto_nbd?.intervals_unavailable).toBe(DOMAIN_EDGE_OMISSION);
    expect(Number.isFinite(f.models.pareto_nbd?.expected_purchases)).toBe(true);
    const bg = f.models.bgnbd?.intervals as Record<string, { purchases: number[] }>;
    expect(bg["0.8"]?.purchases[0]).toBeLessThanOrEqual(bg["0.8"]?.purchases[1] ?? Number.NaN);
  }
}, 60_000);
