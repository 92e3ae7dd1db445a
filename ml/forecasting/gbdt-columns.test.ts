// The GBDT spend regression is a squared-error fit: for a customer who is all but gone its trees
// can sum below zero (an Olist-shaped probe served predicted_spend −58.10 to 39 of 2,958 persons).
// No spend over a horizon is negative, so the served figure is floored at 0.
import { expect, test } from "bun:test";
import type { BtydColumns } from "./btyd-columns.ts";
import type { ForecastBatchInput, ForecastModel } from "./forecast-inputs.ts";
import { gbdtColumns } from "./gbdt-columns.ts";
import { emptyColumns } from "./model-columns.ts";

test("a negative prediction of the GBDT spend regression is served as 0 spend, a positive one as is", () => {
  const n = 2;
  const model = {
    trainedHorizon: 34,
    bgnbd: { r: 0.5, alpha: 10, a: 0.8, b: 2 },
    gbdt: {},
    storedScores: null,
  } as unknown as ForecastModel;
  const batch = {
    n,
    x: new Float64Array([0, 3]),
    tx: new Float64Array([0, 20]),
    T: new Float64Array([80, 40]),
    featureRow: Int32Array.from([0, 1]),
    storedRow: Int32Array.from([-1, -1]),
    errors: [null, null],
  } as unknown as ForecastBatchInput;
  const bg = emptyColumns(n);
  bg.expectedPurchases.set([0.01, 1.2]);
  bg.pAlive.set([0.01, 0.8]);
  const btyd = {
    bg,
    bgDiscounted: new Float64Array([0.01, 1.1]),
    meanSpend: new Float64Array([100, 100]),
  } as unknown as BtydColumns;
  const fresh = {
    counts: Float32Array.from([0.02, 1.1]),
    probs: Float32Array.from([0.01, 0.6]),
    spends: Float32Array.from([-58.1, 120.5]),
  };
  const cols = gbdtColumns(model, batch, 34, btyd, fresh);
  expect(cols?.predictedSpend[0]).toBe(0);
  expect(cols?.predictedSpend[1]).toBeCloseTo(120.5, 4);
});
