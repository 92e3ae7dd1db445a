// A bag of GBDTs served as one: B members, each boosted on its own seeded sample of the rows
// (subagging without replacement, or a bootstrap) and early-stopped on the rows its sample left
// out, then merged into a single GbdtModel whose margin is the members' mean margin (the trees
// concatenated with leaf values divided by B, base score the members' mean). Bundle export, ONNX
// and the TypeScript evaluator serve the merged model as any other (issue #17).

import { createSeededRandom, seededPermutation } from "../random/seeded-random.ts";
import { datasetRows } from "./dataset-rows.ts";
import type { GbdtModel, GbdtTree } from "./gbdt-model.ts";
import { type GbdtTrainOptions, trainGbdt } from "./train-gbdt.ts";

type BagSampling = "subsample" | "bootstrap";

export interface GbdtBagOptions {
  /** Members (B >= 1). */
  members: number;
  /** `subsample`: a share of the rows without replacement; `bootstrap`: n draws with replacement. */
  sampling: BagSampling;
  /** In-bag share of the rows for `subsample`, in (0, 1); ignored by `bootstrap`. */
  fraction: number;
}

/**
 * Breiman's bagging: 3 bootstrap members, each early-stopped on its out-of-bag rows (about 37%).
 * Chosen by the mean over five fold seeds of the blend's out-of-fold RMSE (bag variants tie on
 * deviance) against 5, 10 and 20 members and subagging 80%: bench/blend-candidates.ts (README).
 */
export const DEFAULT_BAG: GbdtBagOptions = { members: 3, sampling: "bootstrap", fraction: 0.8 };

/** Seed of member b: apart from the fold seeds (seed + f) the callers use. */
export function memberSeed(seed: number, b: number): number {
  return seed + 7919 * (b + 1);
}

/** One member's rows: in-bag (sorted, repeats for a bootstrap) and out-of-bag (sorted). */
export function memberRows(
  n: number,
  bag: GbdtBagOptions,
  random: () => number,
): { inBag: Uint32Array; outOfBag: Uint32Array } {
  if (bag.sampling === "subsample") {
    const order = seededPermutation(n, random);
    const k = Math.min(n - 1, Math.max(1, Math.round(n * bag.fraction)));
    return {
      inBag: order.subarray(0, k).slice().sort(),
      outOfBag: order.subarray(k).slice().sort(),
    };
  }
  const drawn = new Uint32Array(n);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.min(n - 1, Math.floor(random() * n));
    drawn[i] = r;
    seen[r] = 1;
  }
  const outOfBag: number[] = [];
  for (let i = 0; i < n; i++) if (seen[i] === 0) outOfBag.push(i);
  return { inBag: drawn.sort(), outOfBag: Uint32Array.from(outOfBag) };
}

/**
 * Trains B members and merges them. With early stopping on, each member stops on its out-of-bag
 * rows (no further split); otherwise it boosts `nEstimators` rounds, or `rounds[b]` when given
 * (a production refit with the rounds an earlier bag kept).
 */
export function trainGbdtBag(
  X: Float32Array,
  y: Float64Array,
  options: GbdtTrainOptions,
  bag: GbdtBagOptions,
  rounds?: readonly number[],
): GbdtModel {
  const n = y.length;
  const p = X.length / n;
  if (!Number.isInteger(bag.members) || bag.members < 1) {
    throw new RangeError(`bag.members = ${bag.members}: must be an integer >= 1`);
  }
  if (bag.sampling === "subsample" && !(bag.fraction > 0 && bag.fraction < 1)) {
    throw new RangeError(`bag.fraction = ${bag.fraction}: must be in (0, 1)`);
  }
  if (rounds && rounds.length !== bag.members) {
    throw new RangeError(`rounds: expected ${bag.members} values, got ${rounds.length}`);
  }
  if (n < 2) throw new RangeError("y: a bag needs at least 2 rows");
  const seed = options.seed ?? 42;
  const random = createSeededRandom(seed);
  const models: GbdtModel[] = [];
  for (let b = 0; b < bag.members; b++) {
    const { inBag, outOfBag } = memberRows(n, bag, random);
    const fixed = rounds?.[b];
    const stop = fixed === undefined && (options.earlyStoppingRounds ?? 1) > 0;
    const train = datasetRows(X, y, p, inBag);
    const memberOptions: GbdtTrainOptions = {
      ...options,
      seed: memberSeed(seed, b),
      validationFraction: 0,
      ...(fixed === undefined ? {} : { nEstimators: Math.max(1, fixed), earlyStoppingRounds: 0 }),
    };
    const valid = stop && outOfBag.length > 0 ? datasetRows(X, y, p, outOfBag) : undefined;
    models.push(trainGbdt(train.X, train.y, memberOptions, valid));
  }
  return mergeBag(models);
}

/** One model whose margin is the members' mean margin (float32 leaves, as every tree). */
export function mergeBag(models: readonly GbdtModel[]): GbdtModel {
  const first = models[0];
  if (!first) throw new RangeError("mergeBag: no members");
  const scale = 1 / models.length;
  const trees: GbdtTree[] = [];
  for (const model of models) {
    if (model.loss !== first.loss || model.featureCount !== first.featureCount) {
      throw new RangeError("mergeBag: members differ in loss or feature count");
    }
    for (const tree of model.trees) {
      trees.push({ ...tree, value: tree.value.map((v) => Math.fround(v * scale)) });
    }
  }
  const baseScore = models.reduce((s, m) => s + m.baseScore, 0) * scale;
  return {
    loss: first.loss,
    baseScore: Math.fround(baseScore),
    featureCount: first.featureCount,
    trees,
    bestIteration: trees.length - 1,
    history: first.history,
    options: first.options,
    members: models.map((m) => m.trees.length),
  };
}
