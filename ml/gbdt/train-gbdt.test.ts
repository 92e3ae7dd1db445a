import { expect, setDefaultTimeout, test } from "bun:test";

// Training and starting ORT can take seconds on a busy 2-core machine.
setDefaultTimeout(60_000);

import { exportGbdtToOnnx } from "../onnx/export-tree-ensemble.ts";
import type { GbdtLoss, GbdtModel } from "./gbdt-model.ts";
import { boostingLoss } from "./losses.ts";
import { predictGbdt, predictGbdtMargin } from "./predict.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";
import { trainGbdt } from "./train-gbdt.ts";

const LOSSES: GbdtLoss[] = ["poisson", "logistic", "gamma", "squared"];

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

for (const loss of LOSSES) {
  test(`${loss}: training loss falls and held-out loss beats the constant model`, () => {
    const train = makeSyntheticGbdtData(8000, 6, loss, 11);
    const test_ = makeSyntheticGbdtData(4000, 6, loss, 12);
    const model = trainGbdt(train.X, train.y, { loss, nEstimators: 150, learningRate: 0.1 });
    const h = model.history;
    let rises = 0;
    for (let i = 1; i < h.length; i++) if (h[i]!.trainLoss > h[i - 1]!.trainLoss + 1e-12) rises++;
    expect(rises).toBeLessThanOrEqual(Math.ceil(h.length * 0.05));
    expect(h[h.length - 1]!.trainLoss).toBeLessThan(h[0]!.trainLoss);

    const lossFn = boostingLoss(loss);
    const margin = predictGbdtMargin(model, test_.X);
    const constant = new Float64Array(test_.n).fill(model.baseScore);
    const modelLoss = lossFn.meanLoss(test_.y, margin);
    const constantLoss = lossFn.meanLoss(test_.y, constant);
    expect(modelLoss).toBeLessThan(constantLoss * 0.97);
    // The learned response tracks the known signal.
    expect(correlation(predictGbdt(model, test_.X), test_.truth)).toBeGreaterThan(0.8);
  });
}

test("early stopping stops and keeps the best round", () => {
  const d = makeSyntheticGbdtData(3000, 8, "poisson", 5);
  const model = trainGbdt(d.X, d.y, {
    loss: "poisson",
    nEstimators: 2000,
    learningRate: 0.5,
    maxDepth: 6,
    minSamplesLeaf: 5,
    earlyStoppingRounds: 10,
  });
  expect(model.history.length).toBeLessThan(2000);
  expect(model.history.length).toBe(model.bestIteration + 1 + 10);
  expect(model.trees.length).toBe(model.bestIteration + 1);
  const best = model.history[model.bestIteration]!.validLoss ?? Number.NaN;
  for (const h of model.history) expect(h.validLoss).toBeGreaterThanOrEqual(best);
});

test("an explicit validation set is used instead of a split", () => {
  const d = makeSyntheticGbdtData(2000, 5, "logistic", 1);
  const v = makeSyntheticGbdtData(500, 5, "logistic", 2);
  const model = trainGbdt(d.X, d.y, { loss: "logistic", nEstimators: 30 }, { X: v.X, y: v.y });
  const lossFn = boostingLoss("logistic");
  const last = model.history[model.trees.length - 1]!;
  // Validation loss recorded for the kept model equals the loss of its predictions on v.
  expect(last.validLoss).toBeCloseTo(lossFn.meanLoss(v.y, predictGbdtMargin(model, v.X)), 9);

  // Without early stopping, validation loss is only recorded: every round's tree is kept.
  const all = trainGbdt(
    d.X,
    d.y,
    { loss: "logistic", nEstimators: 300, learningRate: 0.5, earlyStoppingRounds: 0 },
    { X: v.X, y: v.y },
  );
  expect(all.trees.length).toBe(300);
  expect(all.bestIteration).toBe(299);
  expect(all.history[299]!.validLoss).toBeGreaterThan(0);
});

function modelBytes(model: GbdtModel): Uint8Array {
  const names = Array.from({ length: model.featureCount }, (_, f) => `f${f}`);
  return exportGbdtToOnnx(model, { featureNames: names, layoutVersion: "t" });
}

test("same seed gives identical model bytes; subsampling and seed change the model", () => {
  const d = makeSyntheticGbdtData(3000, 8, "gamma", 9);
  const opts = {
    loss: "gamma" as const,
    nEstimators: 40,
    rowSubsample: 0.7,
    featureSubsample: 0.6,
    seed: 123,
  };
  const a = trainGbdt(d.X, d.y, opts);
  const b = trainGbdt(d.X, d.y, opts);
  expect(modelBytes(a)).toEqual(modelBytes(b));
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));

  const otherSeed = trainGbdt(d.X, d.y, { ...opts, seed: 124 });
  expect(JSON.stringify(otherSeed.trees)).not.toBe(JSON.stringify(a.trees));

  const base = { loss: "gamma" as const, nEstimators: 20, earlyStoppingRounds: 0, seed: 1 };
  const full = trainGbdt(d.X, d.y, base);
  const rows = trainGbdt(d.X, d.y, { ...base, rowSubsample: 0.5 });
  const feats = trainGbdt(d.X, d.y, { ...base, featureSubsample: 0.25 });
  expect(JSON.stringify(rows.trees)).not.toBe(JSON.stringify(full.trees));
  expect(JSON.stringify(feats.trees)).not.toBe(JSON.stringify(full.trees));
  // With 2 of 8 features per tree, no tree splits on more than 2 distinct features.
  for (const tree of feats.trees) {
    expect(new Set(tree.feature.filter((f) => f >= 0)).size).toBeLessThanOrEqual(2);
  }
});

test("minSamplesLeaf, maxDepth and maxLeaves are respected", () => {
  const d = makeSyntheticGbdtData(4000, 6, "squared", 4);
  const model = trainGbdt(d.X, d.y, {
    loss: "squared",
    nEstimators: 15,
    maxDepth: 4,
    maxLeaves: 9,
    minSamplesLeaf: 150,
    earlyStoppingRounds: 0,
  });
  for (const tree of model.trees) {
    const counts = new Map<number, number>();
    for (let i = 0; i < d.n; i++) {
      let node = 0;
      let depth = 0;
      while (tree.feature[node]! >= 0) {
        node =
          d.X[i * d.p + tree.feature[node]!]! <= tree.threshold[node]!
            ? tree.left[node]!
            : tree.right[node]!;
        depth++;
      }
      expect(depth).toBeLessThanOrEqual(4);
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    const leaves = tree.feature.filter((f) => f < 0).length;
    expect(leaves).toBeLessThanOrEqual(9);
    expect(leaves).toBeGreaterThan(1);
    for (const c of counts.values()) expect(c).toBeGreaterThanOrEqual(150);
  }
});

test("bad targets and options are refused with the field named", () => {
  const d = makeSyntheticGbdtData(100, 4, "poisson", 1);
  const y = d.y.slice();
  y[7] = -1;
  expect(() => trainGbdt(d.X, y, { loss: "poisson" })).toThrow(/y\[7\] = -1/);
  expect(() =>
    trainGbdt(
      d.X,
      d.y.map(() => 0),
      { loss: "gamma" },
    ),
  ).toThrow(/y\[0\]/);
  expect(() => trainGbdt(d.X, d.y, { loss: "poisson", learningRate: 0 })).toThrow(
    /options.learningRate/,
  );
  expect(() => trainGbdt(d.X, d.y, { loss: "poisson", maxBins: 300 })).toThrow(/options.maxBins/);
  expect(() => trainGbdt(d.X.subarray(1), d.y, { loss: "poisson" })).toThrow(/X: length/);
});

test("features with more than 65,536 histogram slots in all: rows go where the thresholds send them", () => {
  // 90 features of 255 bins: 90 · 256 · 3 slots, past what 16-bit cell indices hold (tree.ts).
  const d = makeSyntheticGbdtData(1500, 90, "squared", 9);
  const opts = { loss: "squared", nEstimators: 20, rowSubsample: 1, featureSubsample: 1 } as const;
  const model = trainGbdt(d.X, d.y, { ...opts, earlyStoppingRounds: 0, validationFraction: 0 });
  expect(model.trees.length).toBe(20);
  // The training loss is taken on the margins the grower tracked (rows routed by bins); the
  // evaluator routes by float thresholds: the same leaves give the same loss to the bit.
  const last = model.history[model.history.length - 1]!.trainLoss;
  const evaluated = boostingLoss("squared").meanLoss(d.y, predictGbdtMargin(model, d.X));
  expect(evaluated).toBe(last);
  expect(last).toBeLessThan(model.history[0]!.trainLoss);
});
