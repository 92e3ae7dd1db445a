// Monotone constraints: every tree, hence the ensemble, rises (or falls) with a constrained
// feature whatever the other features are; without the constraint the same data give a dip.
import { expect, test } from "bun:test";
import { createSeededRandom } from "../random/seeded-random.ts";
import { predictGbdtMargin } from "./predict.ts";
import { trainGbdt } from "./train-gbdt.ts";

/** Squared-loss data rising with x0 overall, with a dip on 0.4..0.6 and a free feature x1. */
function data(n: number, seed: number) {
  const random = createSeededRandom(seed);
  const X = new Float32Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x0 = random();
    const x1 = random();
    X[2 * i] = x0;
    X[2 * i + 1] = x1;
    const dip = x0 > 0.4 && x0 < 0.6 ? -1.5 : 0;
    y[i] = 2 * x0 + dip + Math.sin(6 * x1) + 0.3 * (random() - 0.5);
  }
  return { X, y };
}

/** Largest fall of the margin along a grid of x0, over several values of x1. */
function largestFall(model: ReturnType<typeof trainGbdt>, sign: number): number {
  let fall = 0;
  for (const x1 of [0.1, 0.3, 0.5, 0.7, 0.9]) {
    let previous = Number.NEGATIVE_INFINITY;
    for (let k = 0; k <= 100; k++) {
      const m = sign * predictGbdtMargin(model, Float32Array.from([k / 100, x1]), 1)[0]!;
      fall = Math.max(fall, previous - m);
      previous = m;
    }
  }
  return fall;
}

const OPTIONS = {
  loss: "squared" as const,
  nEstimators: 80,
  maxDepth: 4,
  minSamplesLeaf: 10,
  earlyStoppingRounds: 0,
  seed: 2,
};

test("with monotone +1 on x0 the margin never falls along x0; without it, it does", () => {
  const { X, y } = data(4000, 1);
  const free = trainGbdt(X, y, OPTIONS);
  expect(largestFall(free, 1)).toBeGreaterThan(0.5);
  const rising = trainGbdt(X, y, { ...OPTIONS, monotone: [1, 0] });
  expect(largestFall(rising, 1)).toBe(0);
  // It still learns: x0 = 0.9 is well above x0 = 0.1, and x1's non-monotone effect is kept.
  const at = (x0: number, x1: number) =>
    predictGbdtMargin(rising, Float32Array.from([x0, x1]), 1)[0]!;
  expect(at(0.9, 0.5) - at(0.1, 0.5)).toBeGreaterThan(1);
  expect(at(0.5, 0.25) - at(0.5, 0.75)).toBeGreaterThan(1);
});

test("monotone −1 on a mirrored feature; bad constraints are refused", () => {
  const { X, y } = data(3000, 3);
  for (let i = 0; i < y.length; i++) X[2 * i] = 1 - X[2 * i]!;
  const falling = trainGbdt(X, y, { ...OPTIONS, monotone: [-1, 0] });
  expect(largestFall(falling, -1)).toBe(0);
  expect(() => trainGbdt(X, y, { ...OPTIONS, monotone: [1] })).toThrow(/monotone/);
  expect(() => trainGbdt(X, y, { ...OPTIONS, monotone: [2, 0] })).toThrow(/monotone/);
});
