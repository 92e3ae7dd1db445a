import { expect, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { createSeededRandom } from "../random/seeded-random.ts";
import { crossValidateGuardedBlend, innerFolds } from "./blend-guard.ts";

test("inner folds partition the training rows into the other folds' test sets", () => {
  const folds = kFoldSplit(1000, 5, 2);
  const rows = folds[1]?.train as Uint32Array;
  const inner = innerFolds(folds, rows);
  expect(inner.length).toBe(4);
  const tests = inner.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
  expect(tests).toEqual(Array.from(rows).sort((a, b) => a - b));
  for (const f of inner) expect(f.train.length + f.test.length).toBe(rows.length);
});

/** Counts whose mean is `truth`; forecasts: the truth, a flat guess and a noisy truth. */
function population(n: number) {
  const random = createSeededRandom(5);
  const x = new Float64Array(n);
  const truth = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = Math.floor(10 * random() ** 3);
    const mean = 0.1 + 0.6 * xi;
    x[i] = xi;
    truth[i] = mean;
    let k = 0;
    let t = -Math.log(1 - random());
    while (t < mean) {
      k++;
      t -= Math.log(1 - random());
    }
    y[i] = k;
  }
  const flat = new Float64Array(n).fill(y.reduce((s, v) => s + v, 0) / n);
  const noisy = Float64Array.from(truth, (v) => v * (0.5 + random()));
  return { x, y, forecasts: [truth, flat, noisy] };
}

const squared = (y: Float64Array, f: Float64Array) =>
  y.reduce((s, v, i) => s + (v - f[i]!) ** 2, 0);

test("the guarded blend's squared error stays close to the best single model's", () => {
  const { x, y, forecasts } = population(2000);
  const folds = kFoldSplit(y.length, 5, 1);
  const best = squared(y, forecasts[0] as Float64Array);
  for (const scope of ["global", "segment"] as const) {
    const { oof, final } = crossValidateGuardedBlend(forecasts, y, x, folds, scope);
    expect(squared(y, oof)).toBeLessThan(1.01 * best);
    expect(final.weights.flat().every((w) => w >= 0)).toBe(true);
    if (scope === "global") for (const row of final.weights) expect(row).toEqual(final.weights[0]!);
  }
});
