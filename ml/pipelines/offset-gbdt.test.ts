import { expect, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { createSeededRandom } from "../random/seeded-random.ts";
import { crossValidateOffsetGbdt } from "./offset-gbdt.ts";

test("out of fold, the offset GBDT corrects a baseline that misses a feature's effect", () => {
  const random = createSeededRandom(9);
  const n = 5000;
  const X = new Float32Array(n * 2);
  const baseline = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = random();
    X[2 * i + 1] = random();
    baseline[i] = 0.1 * 50 ** random();
    // The truth doubles the baseline when feature 0 is high; the baseline does not know.
    const mu = baseline[i]! * (X[2 * i]! > 0.6 ? 2 : 1);
    let k = 0;
    let t = -Math.log(1 - random());
    while (t < mu) {
      k++;
      t -= Math.log(1 - random());
    }
    y[i] = k;
  }
  const oof = crossValidateOffsetGbdt(X, y, baseline, kFoldSplit(n, 5, 1), {
    loss: "poisson",
    maxDepth: 2,
    nEstimators: 80,
    earlyStoppingRounds: 10,
    seed: 4,
  });
  expect(oof.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  expect(poissonDeviance(y, oof)).toBeLessThan(0.9 * poissonDeviance(y, baseline));
});
