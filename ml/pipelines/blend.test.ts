import { expect, test } from "bun:test";
import { type Fold, kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleGamma } from "../sim/samplers.ts";
import {
  blendForecast,
  crossValidateBlend,
  fitBlendWeights,
  fitStackWeights,
  frequencySegment,
} from "./blend.ts";

function poisson(rng: Xoshiro128, mu: number): number {
  let k = 0;
  let t = -Math.log(rng.uniform());
  while (t < mu) {
    k++;
    t -= Math.log(rng.uniform());
  }
  return k;
}

/** Three forecasts of a Poisson truth: the truth scaled ×0.8, pure noise, and a noisy truth. */
function population(n: number, seed: number) {
  const rng = new Xoshiro128(seed);
  const x = new Float64Array(n);
  const truth = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.floor(sampleGamma(rng, 0.7, 0.3));
    truth[i] = 0.2 + 0.5 * x[i];
    a[i] = 0.8 * truth[i];
    b[i] = sampleGamma(rng, 2, 2);
    c[i] = truth[i] * sampleGamma(rng, 4, 4);
    y[i] = poisson(rng, truth[i]);
  }
  return { x, truth, forecasts: [a, b, c], y };
}

test("the stack weights minimise the deviance and match the actual total", () => {
  const { forecasts, y } = population(20_000, 1);
  const rows = Uint32Array.from({ length: y.length }, (_, i) => i);
  const w = fitStackWeights(forecasts, y, rows);
  expect(w.every((v) => v >= 0)).toBe(true);
  const fitted = Float64Array.from(y, (_, i) =>
    w.reduce((s, v, k) => s + v * (forecasts[k] as Float64Array)[i], 0),
  );
  const total = (v: Float64Array) => v.reduce((s, u) => s + u, 0);
  expect(Math.abs(total(fitted) / total(y) - 1)).toBeLessThan(1e-6);
  // The pure-noise forecast gets (almost) no weight; the blend beats every input.
  expect(w[1] as number).toBeLessThan(0.05);
  for (const f of forecasts) expect(poissonDeviance(y, fitted)).toBeLessThan(poissonDeviance(y, f));
  // Nudging a weight does not help (a minimum).
  for (let k = 0; k < 3; k++) {
    const nudged = Float64Array.from(
      fitted,
      (v, i) => v + 0.02 * (forecasts[k] as Float64Array)[i],
    );
    expect(poissonDeviance(y, nudged)).toBeGreaterThan(poissonDeviance(y, fitted));
  }
});

test("cross-validation picks per-segment weights when segments need different ones", () => {
  const { x, forecasts, y } = population(20_000, 2);
  // Swap the good and bad forecasts for heavy buyers: one global set cannot fit both.
  const [a, b] = forecasts as [Float64Array, Float64Array, Float64Array];
  for (let i = 0; i < y.length; i++) {
    if (frequencySegment(x[i] as number) >= 2) [a[i], b[i]] = [b[i] as number, a[i] as number];
  }
  const cv = crossValidateBlend(forecasts, y, x, kFoldSplit(y.length, 5, 3));
  expect(Number.isFinite(cv.final.pooling)).toBe(true);
  expect(cv.deviance.Infinity as number).toBeGreaterThan(poissonDeviance(y, cv.oof));
  const heavy = cv.final.weights[5] as number[];
  const light = cv.final.weights[0] as number[];
  expect(heavy[1] as number).toBeGreaterThan(light[1] as number);
  expect(blendForecast(cv.final, 0, [1, 0, 0])).toBeCloseTo(light[0] as number, 12);
});

test("with one shared relation the global weights win out of fold", () => {
  const { x, forecasts, y } = population(20_000, 4);
  const cv = crossValidateBlend(forecasts, y, x, kFoldSplit(y.length, 5, 5));
  const all = Uint32Array.from({ length: y.length }, (_, i) => i);
  const global = fitBlendWeights(forecasts, y, x, all, Number.POSITIVE_INFINITY);
  expect(cv.final.pooling).toBeGreaterThanOrEqual(300);
  expect(global.weights[0]).toEqual(global.weights[7] as number[]);
});

test("with further splits the out-of-fold blend is the mean over the splits at the chosen pooling", () => {
  const { x, forecasts, y } = population(2000, 6);
  const splits = [
    kFoldSplit(y.length, 5, 1),
    kFoldSplit(y.length, 5, 2),
    kFoldSplit(y.length, 5, 3),
  ];
  const cv = crossValidateBlend(forecasts, y, x, splits[0] as Fold[], splits.slice(1));
  const expected = new Float64Array(y.length);
  for (const split of splits) {
    for (const fold of split) {
      const w = fitBlendWeights(forecasts, y, x, fold.train, cv.final.pooling);
      for (const i of fold.test) {
        const values = forecasts.map((f) => f[i] as number);
        expected[i] = (expected[i] as number) + blendForecast(w, x[i] as number, values) / 3;
      }
    }
  }
  for (let i = 0; i < y.length; i += 97) {
    expect(cv.oof[i] as number).toBeCloseTo(expected[i] as number, 12);
  }
  expect(cv.deviance[String(cv.final.pooling)]).toBeCloseTo(poissonDeviance(y, expected), 12);
  // One split alone is not the same forecast.
  const one = crossValidateBlend(forecasts, y, x, splits[0] as Fold[]);
  expect(one.oof).not.toEqual(cv.oof);
});
