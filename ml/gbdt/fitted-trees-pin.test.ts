// Pins the learner's fitted trees bit for bit: a sha256 of every tree's splits, thresholds, leaf
// values and gains, and of the training history, for seeded fits that reach each path of the tree
// grower (losses, row and feature sampling, leaf limits, monotone constraints, bags) and for the
// CDNOW models `ml train` fits. A speed change to tree.ts must leave these hashes as they are.

import { expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";
import { trainOnCdnowSample } from "../testing/cdnow-training.ts";
import type { GbdtModel } from "./gbdt-model.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";
import { type GbdtTrainOptions, trainGbdt } from "./train-gbdt.ts";
import { trainGbdtBag } from "./train-gbdt-bag.ts";

// CDNOW's whole training takes seconds on a busy 2-core machine.
setDefaultTimeout(120_000);

/** sha256 of a model's trees (every field at full precision) and of its history. */
function modelHash(model: GbdtModel): string {
  const hash = createHash("sha256");
  hash.update(new Float64Array([model.baseScore, model.bestIteration, model.trees.length]));
  for (const t of model.trees) {
    hash.update(Int32Array.from(t.feature));
    hash.update(Float64Array.from(t.threshold));
    hash.update(Int32Array.from(t.left));
    hash.update(Int32Array.from(t.right));
    hash.update(Float64Array.from(t.value));
    hash.update(Float64Array.from(t.gain));
  }
  for (const h of model.history) {
    hash.update(new Float64Array([h.round, h.trainLoss, h.validLoss ?? Number.NaN]));
  }
  return hash.digest("hex").slice(0, 16);
}

const fits: [string, () => GbdtModel][] = [
  [
    "poisson, depth 6, row and feature sampling, early stopping",
    () => {
      const d = makeSyntheticGbdtData(3000, 12, "poisson", 5);
      return trainGbdt(d.X, d.y, {
        loss: "poisson",
        nEstimators: 60,
        maxDepth: 6,
        maxLeaves: 40,
        rowSubsample: 0.8,
        featureSubsample: 0.7,
        seed: 3,
      });
    },
  ],
  [
    "logistic, monotone, min hessian",
    () => {
      const d = makeSyntheticGbdtData(2500, 6, "logistic", 6);
      return trainGbdt(d.X, d.y, {
        loss: "logistic",
        nEstimators: 40,
        maxDepth: 5,
        minHessianLeaf: 0.5,
        monotone: [1, -1, 1, 0, 0, -1],
        seed: 4,
      });
    },
  ],
  [
    "gamma, max delta step, few leaves, min split gain",
    () => {
      const d = makeSyntheticGbdtData(2000, 8, "gamma", 7);
      return trainGbdt(d.X, d.y, {
        loss: "gamma",
        nEstimators: 40,
        maxDepth: 8,
        maxLeaves: 7,
        maxDeltaStep: 0.7,
        minSplitGain: 0.01,
        earlyStoppingRounds: 0,
        seed: 5,
      });
    },
  ],
  [
    "squared, bootstrap bag of 3, offset-free",
    () => {
      const d = makeSyntheticGbdtData(1500, 10, "squared", 8);
      const options: GbdtTrainOptions = { loss: "squared", nEstimators: 50, maxBins: 32, seed: 6 };
      return trainGbdtBag(d.X, d.y, options, {
        members: 3,
        sampling: "bootstrap",
        fraction: 0.8,
      });
    },
  ],
];

// Hashes the code of 2ffabaa gives (before the tree grower's speed work).
const expected: Record<string, string> = {
  "poisson, depth 6, row and feature sampling, early stopping": "38206967cb101534",
  "logistic, monotone, min hessian": "ea2f450b6fb6f10f",
  "gamma, max delta step, few leaves, min split gain": "c764ea38f62fa2f4",
  "squared, bootstrap bag of 3, offset-free": "72d81de67f0274cc",
  cdnow: [
    "count 170c3538a1d510a9",
    "purchase 4b6f3188eb303dd4",
    "spend 997e566bac6bb1c5",
    "metrics c4e1562a0385a802",
  ].join(","),
};

for (const [name, fit] of fits) {
  test(`fitted trees unchanged: ${name}`, () => {
    expect(modelHash(fit())).toBe(expected[name] ?? "unknown");
  });
}

const samplePath = cdnowSampleOrWarn("the CDNOW fitted-trees pin");

test.skipIf(samplePath === null)(
  "fitted trees unchanged: CDNOW count, purchase, spend",
  async () => {
    const { trained } = await trainOnCdnowSample(samplePath as string);
    const gbdt = trained.gbdt;
    if (!gbdt) throw new Error("no GBDT trained");
    const hashes = Object.entries(gbdt).map(([target, model]) => `${target} ${modelHash(model)}`);
    // Out-of-fold scores come from the fold models (bags), which the refits above do not show;
    // train_seconds is a timing.
    const m = trained.metrics.models;
    const scores = [m.gbdt_count, m.gbdt_purchase, m.gbdt_spend].map((s) => [s?.holdout, s?.trees]);
    const oof = createHash("sha256").update(JSON.stringify(scores)).digest("hex").slice(0, 16);
    expect([...hashes, `metrics ${oof}`]).toEqual(expected.cdnow?.split(",") ?? []);
  },
);
