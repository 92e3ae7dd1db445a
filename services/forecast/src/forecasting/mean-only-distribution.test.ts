// The GBDT's and the blend's predictive distribution (what `"distribution": true` serves and the
// intervals come from) agrees with the point figures served beside it: 1 − P(X = 0) is the
// customer's p_purchase and the mean is expected_purchases, at the trained horizon and at 4× it.
// Before, it was a negative binomial around the mean alone, whose P(0) ignored p_purchase (an
// accuracy probe: on 10,000 simulated customers at 4× the trained horizon, GBDT p_purchase 0.528
// but 1 − P(0) 0.611, 0.54 apart for one customer).
import { beforeAll, describe, expect, test } from "bun:test";
import { batchForecastIntervals } from "@pp/ml/forecasting/batch-intervals.ts";
import { forecastBatch } from "@pp/ml/forecasting/forecast-batch.ts";
import { intervalParamsFromManifest } from "@pp/ml/forecasting/interval-params.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import { bundleModelSource } from "../model/model-sources.ts";
import { typescriptEngine } from "../model/typescript-engine.ts";
import { memoryReader, trainDemoBundle } from "../testing/demo-bundle.ts";
import { resolveCustomers } from "./customer-batch.ts";

let model: LoadedModel;

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 600, seed: 3 });
  const source = bundleModelSource({
    read: memoryReader(demo.files),
    description: "test",
    engine: typescriptEngine,
  });
  model = (await source.load()).model;
}, 120_000);

describe("GBDT and blend: the served distribution agrees with p_purchase and expected_purchases", () => {
  for (const times of [1, 4]) {
    test(`${times}× the trained horizon, every stored customer`, async () => {
      const ids = model.customers.columns.ids;
      const batch = resolveCustomers(
        model,
        ids.map((id) => ({ id })),
        undefined,
      );
      const horizon = times * model.trainedHorizon;
      const result = await forecastBatch(model, batch, horizon, 0.1);
      const params = intervalParamsFromManifest(model.manifest);
      const intervals = batchForecastIntervals(params, batch, result, [0.8, 0.95], true);
      let checked = 0;
      const worst: Record<string, [number, number]> = {};
      for (const name of ["gbdt", "blend"] as const) {
        const cols = result[name];
        const pmfs = intervals[name]?.pmf;
        if (!cols || !pmfs) throw new Error(`${name}: no forecast or distribution`);
        let worstZero = 0;
        let worstMean = 0;
        for (let i = 0; i < batch.n; i++) {
          const dist = pmfs[i];
          if (!dist) throw new Error(`${name}: no distribution for customer ${i}`);
          const p = cols.pPurchase[i] as number;
          const e = cols.expectedPurchases[i] as number;
          const mean = dist.pmf.reduce((s, q, k) => s + k * q, 0);
          worstZero = Math.max(worstZero, Math.abs(1 - (dist.pmf[0] as number) - p));
          // A count's mean is at least its P(X ≥ 1): where the point figures say otherwise (the
          // GBDT's two models at the trained horizon), the distribution's mean is p_purchase.
          const target = Math.max(e, p);
          worstMean = Math.max(worstMean, Math.abs(mean - target) / Math.max(target, 1e-9));
          checked++;
        }
        worst[name] = [worstZero, worstMean];
      }
      // Largest |1 − P(0) − p_purchase| and relative mean error, per model.
      const within = Object.values(worst).every(([z, m]) => z < 0.01 && m < 0.01);
      expect({ worst, within }).toEqual({ worst, within: true });
      expect(checked).toBe(2 * batch.n);
    }, 120_000);
  }
});
