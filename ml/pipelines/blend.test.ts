import { expect, test } from "bun:test";
import { type Fold, kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleGamma } from "../sim/samplers.ts";
import {
  blendForecast,
  blendPAlive,
  blendPurchaseMixture,
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
    const xi = Math.floor(sampleGamma(rng, 0.7, 0.3));
    const t = 0.2 + 0.5 * xi;
    x[i] = xi;
    truth[i] = t;
    a[i] = 0.8 * t;
    b[i] = sampleGamma(rng, 2, 2);
    c[i] = t * sampleGamma(rng, 4, 4);
    y[i] = poisson(rng, t);
  }
  return { x, truth, forecasts: [a, b, c], y };
}

test("the stack weights minimise the deviance and match the actual total", () => {
  const { forecasts, y } = population(20_000, 1);
  const rows = Uint32Array.from({ length: y.length }, (_, i) => i);
  const w = fitStackWeights(forecasts, y, rows);
  expect(w.every((v) => v >= 0)).toBe(true);
  // NaN past the end, so an indexing mistake fails the test.
  const fitted = Float64Array.from(y, (_, i) =>
    forecasts.reduce((s, f, k) => s + (w[k] ?? Number.NaN) * (f[i] ?? Number.NaN), 0),
  );
  const total = (v: Float64Array) => v.reduce((s, u) => s + u, 0);
  expect(Math.abs(total(fitted) / total(y) - 1)).toBeLessThan(1e-6);
  // The pure-noise forecast gets (almost) no weight; the blend beats every input.
  expect(w[1]).toBeLessThan(0.05);
  for (const f of forecasts) expect(poissonDeviance(y, fitted)).toBeLessThan(poissonDeviance(y, f));
  // Nudging a weight does not help (a minimum).
  for (const f of forecasts) {
    const nudged = Float64Array.from(fitted, (v, i) => v + 0.02 * (f[i] ?? Number.NaN));
    expect(poissonDeviance(y, nudged)).toBeGreaterThan(poissonDeviance(y, fitted));
  }
});

test("two members forecasting nearly alike do not stop the fit at its start", () => {
  // Pareto/NBD = BG/NBD × (1 + ε) on a log without dropout: the Hessian is nearly singular and
  // projected Newton steps raised the deviance at every length. The fit stayed at 1/4 each:
  // deviance 2.9 where the good member alone gives 1.1, and totals 2.3× the actual.
  const { forecasts, y } = population(2000, 4);
  const [, , good] = forecasts as [Float64Array, Float64Array, Float64Array];
  const level = Float64Array.from(good, (v) => 4 + 0.5 * v);
  const rate = Float64Array.from(good, (v) => 1 + v * v);
  const rows = Uint32Array.from({ length: y.length }, (_, i) => i);
  const total = (v: Float64Array) => v.reduce((s, u) => s + u, 0);
  for (const eps of [1e-6, 1e-3]) {
    const alike = Float64Array.from(level, (v, i) => v * (1 + eps * Math.sin(i)));
    const members = [level, alike, good, rate];
    const w = fitStackWeights(members, y, rows);
    const fitted = Float64Array.from(y, (_, i) =>
      members.reduce((s, f, k) => s + (w[k] ?? Number.NaN) * (f[i] ?? Number.NaN), 0),
    );
    expect(Math.abs(total(fitted) / total(y) - 1)).toBeLessThan(1e-6);
    for (const f of members) {
      expect(poissonDeviance(y, fitted)).toBeLessThanOrEqual(poissonDeviance(y, f));
    }
  }
});

test("cross-validation picks per-segment weights when segments need different ones", () => {
  const { x, forecasts, y } = population(20_000, 2);
  // Swap the good and bad forecasts for heavy buyers: one global set cannot fit both.
  const [a, b] = forecasts as [Float64Array, Float64Array, Float64Array];
  for (let i = 0; i < y.length; i++) {
    if (frequencySegment(x[i] ?? 0) < 2) continue;
    const ai = a[i] ?? Number.NaN;
    a[i] = b[i] ?? Number.NaN;
    b[i] = ai;
  }
  const cv = crossValidateBlend(forecasts, y, x, kFoldSplit(y.length, 5, 3));
  expect(Number.isFinite(cv.final.pooling)).toBe(true);
  expect(cv.deviance.Infinity as number).toBeGreaterThan(poissonDeviance(y, cv.oof));
  const heavy = cv.final.weights[5];
  const light = cv.final.weights[0];
  expect(heavy?.[1]).toBeGreaterThan(light?.[1] ?? Number.NaN);
  expect(blendForecast(cv.final, 0, [1, 0, 0])).toBeCloseTo(light?.[0] ?? Number.NaN, 12);
});

test("with one shared relation the global weights win out of fold", () => {
  const { x, forecasts, y } = population(20_000, 4);
  const cv = crossValidateBlend(forecasts, y, x, kFoldSplit(y.length, 5, 5));
  const all = Uint32Array.from({ length: y.length }, (_, i) => i);
  const global = fitBlendWeights(forecasts, y, x, all, Number.POSITIVE_INFINITY);
  expect(cv.final.pooling).toBeGreaterThanOrEqual(300);
  expect(global.weights).toHaveLength(8);
  expect(global.weights[0]).toEqual(global.weights[7]);
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
        const values = forecasts.map((f) => f[i]!);
        expected[i] = expected[i]! + blendForecast(w, x[i]!, values) / 3;
      }
    }
  }
  for (let i = 0; i < y.length; i += 97) {
    expect(cv.oof[i]!).toBeCloseTo(expected[i]!, 12);
  }
  expect(cv.deviance[String(cv.final.pooling)]).toBeCloseTo(poissonDeviance(y, expected), 12);
  // One split alone is not the same forecast.
  const one = crossValidateBlend(forecasts, y, x, splits[0] as Fold[]);
  expect(one.oof).not.toEqual(cv.oof);
});

// The accuracy probe: a blend 85% Pareto/NBD and 0% BG/NBD served BG/NBD's P(alive), 1.000 for
// one-time buyers of whom 34% were alive.
test("the blend's P(alive) mixes its BTYD members as it weighs them; BG/NBD's when it weighs neither", () => {
  const weights = {
    pooling: Number.POSITIVE_INFINITY,
    weights: [
      [0, 0.85, 0.15],
      [0.3, 0.1, 0.6],
      [0, 0, 1],
    ],
  };
  expect(blendPAlive(weights, 0, 1, 0.336)).toBeCloseTo(0.336, 12);
  expect(blendPAlive(weights, 1, 0.8, 0.4)).toBeCloseTo((0.3 * 0.8 + 0.1 * 0.4) / 0.4, 12);
  expect(blendPAlive(weights, 2, 0.7, 0.2)).toBe(0.7);
  expect(blendPAlive(weights, 0, 0.9, Number.NaN)).toBe(0.9);
});

test("the out-of-fold P(purchase) mixes the members' under each fold's own weights", () => {
  const { x, forecasts, y } = population(4_000, 9);
  // Members' P(purchase): all the same (0.3) gives 0.3 whatever the weights; a member's own gives
  // the mixture under the fold weights that made `oof`.
  const same = forecasts.map((f) => new Float64Array(f.length).fill(0.3));
  const folds = kFoldSplit(y.length, 5, 3);
  const cv = crossValidateBlend(forecasts, y, x, folds, [], same);
  expect(cv.oofPurchase).toBeDefined();
  for (const p of cv.oofPurchase ?? []) expect(p).toBeCloseTo(0.3, 12);
  const own = forecasts.map((f) => Float64Array.from(f, (mu) => -Math.expm1(-mu)));
  const mixed = crossValidateBlend(forecasts, y, x, folds, [], own);
  // The means are the same with or without the P(purchase) columns.
  expect(Array.from(mixed.oof)).toEqual(Array.from(cv.oof));
  const i = folds[0]!.test[0]!;
  const w = fitBlendWeights(forecasts, y, x, folds[0]!.train, mixed.final.pooling);
  const p = own.map((c) => c[i]!);
  expect(mixed.oofPurchase?.[i]).toBeCloseTo(blendPurchaseMixture(w, x[i]!, p), 12);
});
