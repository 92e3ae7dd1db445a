// A bundle whose Pareto/NBD intervals are omitted (what training writes when that fit stopped at
// the edge of its likelihood's domain; whether a fit gets there first or hits its time budget
// depends on the machine's load, so the manifest is set here): POST /forecast with "intervals"
// answers every model, Pareto/NBD with "intervals_unavailable" and the reason.
import { beforeAll, expect, test } from "bun:test";
import { DOMAIN_EDGE_OMISSION } from "@pp/ml/forecasting/parameter-uncertainty.ts";
import type { Hono } from "hono";
import { appServingBundle, demoBundleWithManifest } from "../testing/bundle-app.ts";

let app: Hono<never>;
let ids: string[];

beforeAll(async () => {
  const files = await demoBundleWithManifest({ customers: 400, seed: 5 }, (manifest) => {
    const { covariances } = manifest.uncertainty as { covariances: Record<string, unknown> };
    covariances.pareto_nbd = null;
    covariances.omitted = { pareto_nbd: DOMAIN_EDGE_OMISSION };
  });
  ({ app, ids } = await appServingBundle(files));
  ids = ids.slice(0, 20);
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
