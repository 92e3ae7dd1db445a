// Per-row margin offsets: the trees fit on top of a given baseline (a Poisson model with an
// exposure, or a GBDT correcting a BTYD forecast).
import { expect, test } from "bun:test";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { createSeededRandom } from "../random/seeded-random.ts";
import { predictGbdtMargin } from "./predict.ts";
import { trainGbdt } from "./train-gbdt.ts";

/** y ~ Poisson(base · e^{f(x)}), base spread over two decades and not among the features. */
function population(n: number, seed: number) {
  const random = createSeededRandom(seed);
  const p = 4;
  const X = new Float32Array(n * p);
  const offset = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) X[i * p + j] = random();
    offset[i] = Math.log(0.05 * 100 ** random());
    const mu = Math.exp(offset[i]! + (X[i * p]! > 0.5 ? 0.7 : -0.3));
    let k = 0;
    let t = -Math.log(1 - random());
    while (t < mu) {
      k++;
      t -= Math.log(1 - random());
    }
    y[i] = k;
  }
  return { X, offset, y };
}

const OPTIONS = {
  loss: "poisson" as const,
  nEstimators: 60,
  learningRate: 0.2,
  maxDepth: 2,
  earlyStoppingRounds: 0,
  seed: 3,
};

test("with the offset the trees learn the multiplier and beat the model without it", () => {
  const train = population(6000, 1);
  const held = population(3000, 2);
  const withOffset = trainGbdt(train.X, train.y, OPTIONS, undefined, train.offset);
  const without = trainGbdt(train.X, train.y, OPTIONS);
  const m = predictGbdtMargin(withOffset, held.X, held.y.length);
  const predicted = Float64Array.from(m, (v, i) => Math.exp(v + held.offset[i]!));
  const plain = Float64Array.from(predictGbdtMargin(without, held.X, held.y.length), Math.exp);
  expect(poissonDeviance(held.y, predicted)).toBeLessThan(0.8 * poissonDeviance(held.y, plain));
  // The learned multiplier of the x0 > 0.5 half over the other: e^{0.7 − (−0.3)} = e.
  const hi = Float32Array.from([0.9, 0.5, 0.5, 0.5]);
  const lo = Float32Array.from([0.1, 0.5, 0.5, 0.5]);
  const ratio = Math.exp(
    predictGbdtMargin(withOffset, hi, 1)[0]! - predictGbdtMargin(withOffset, lo, 1)[0]!,
  );
  expect(Math.abs(ratio / Math.E - 1)).toBeLessThan(0.1);
});

test("the starting constant matches the total over the offsets; early stopping carries them", () => {
  const { X, offset, y } = population(4000, 5);
  const model = trainGbdt(
    X,
    y,
    { ...OPTIONS, nEstimators: 1, learningRate: 1e-6 },
    undefined,
    offset,
  );
  let fitted = 0;
  let actual = 0;
  for (let i = 0; i < y.length; i++) {
    fitted += Math.exp(model.baseScore + offset[i]!);
    actual += y[i]!;
  }
  expect(Math.abs(fitted / actual - 1)).toBeLessThan(1e-4);
  const stopped = trainGbdt(
    X,
    y,
    { ...OPTIONS, nEstimators: 300, earlyStoppingRounds: 10, validationFraction: 0.2 },
    undefined,
    offset,
  );
  // Validated on top of the offset, the loss stops improving long before 300 rounds.
  expect(stopped.trees.length).toBeLessThan(300);
  expect(stopped.history.every((h) => Number.isFinite(h.validLoss))).toBe(true);
  expect(() => trainGbdt(X, y, OPTIONS, undefined, offset.subarray(1))).toThrow(/offset/);
});
