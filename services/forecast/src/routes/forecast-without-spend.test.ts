// POST /forecast on a bundle without a spend model (trained on a log without amounts, or with too
// few repeat buyers with a spend, so Gamma-Gamma was not fitted): every customer gets purchases,
// P(alive) and P(purchase), and null spend and CLV, as the schema says; none fails.
import { beforeAll, expect, test } from "bun:test";
import type { Hono } from "hono";
import { appServingBundle, demoBundleWithManifest } from "../testing/bundle-app.ts";

let app: Hono<never>;
let ids: string[];

beforeAll(async () => {
  // The manifest as `ml train` writes it when Gamma-Gamma is not fitted.
  const files = await demoBundleWithManifest({ customers: 400, seed: 5 }, (manifest) => {
    manifest.gamma_gamma = null;
    const uncertainty = manifest.uncertainty as { covariances?: Record<string, unknown> };
    if (uncertainty?.covariances) uncertainty.covariances.gamma_gamma = null;
  });
  ({ app, ids } = await appServingBundle(files));
  ids = ids.slice(0, 30);
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
