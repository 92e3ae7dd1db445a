// Trains a gradient-boosted tree ensemble: bins the features, then adds one histogram tree per
// round on the loss's gradients, with seeded row/feature subsampling and early stopping on a
// validation fold (given, or split off by a seeded shuffle).

import { createSeededRandom, seededPermutation } from "../random/seeded-random.ts";
import { binFeatures, computeFeatureBins } from "./binning.ts";
import { datasetRows } from "./dataset-rows.ts";
import { treeGrown } from "./fit-progress.ts";
import {
  defaultGbdtOptions,
  type GbdtHistoryEntry,
  type GbdtLoss,
  type GbdtModel,
  type GbdtOptions,
  type GbdtTree,
} from "./gbdt-model.ts";
import { type BoostingLoss, boostingLoss } from "./losses.ts";
import { treeMarginRaw } from "./predict.ts";
import { HistogramTreeGrower } from "./tree.ts";

export interface GbdtDataset {
  /** Row-major n×p features. */
  X: Float32Array;
  y: Float64Array;
  /** Per-row margin offset (e.g. the log of a baseline forecast); the trees fit on top of it. */
  offset?: Float64Array;
}

export type GbdtTrainOptions = Partial<GbdtOptions> & { loss: GbdtLoss };

/**
 * Fits a GBDT. X is row-major n×p (p = X.length / y.length). Without `validation`, a seeded
 * `validationFraction` of the rows is held out when early stopping is on. With `offset`, each row's
 * margin starts at its offset plus the best constant on top of it (a validation fold carries its own).
 */
export function trainGbdt(
  X: Float32Array,
  y: Float64Array,
  options: GbdtTrainOptions,
  validation?: GbdtDataset,
  offset?: Float64Array,
): GbdtModel {
  const opts: GbdtOptions = { ...defaultGbdtOptions(options.loss), ...options };
  validateOptions(opts);
  const loss = boostingLoss(opts.loss);
  const p = checkedFeatureCount(X, y, loss, validation);
  checkMonotoneAndOffset(opts, p, y.length, offset);
  // The random stream is consumed in a fixed order: validation split, bin sample, then rounds.
  const random = createSeededRandom(opts.seed);
  const whole: GbdtDataset = offset ? { X, y, offset } : { X, y };
  const { train, valid } = splitValidation(whole, p, opts, random, validation);
  const n = train.y.length;
  const binSample =
    n > opts.binSampleSize
      ? seededPermutation(n, random).subarray(0, opts.binSampleSize).slice().sort()
      : undefined;
  const bins = computeFeatureBins(train.X, n, p, opts.maxBins, binSample);
  const grower = new HistogramTreeGrower(binFeatures(train.X, n, bins), n, p, bins);
  const baseScore = Math.fround(
    train.offset ? constantOverOffset(loss, train.y, train.offset) : loss.baseScore(train.y),
  );
  const { trees, history, bestIteration } = boost(
    grower,
    loss,
    train,
    valid,
    p,
    baseScore,
    opts,
    random,
  );
  return {
    loss: opts.loss,
    baseScore,
    featureCount: p,
    trees: trees.slice(0, bestIteration + 1),
    bestIteration,
    history,
    options: opts,
  };
}

/** p = X.length / y.length, after checking the shapes and the targets. */
function checkedFeatureCount(
  X: Float32Array,
  y: Float64Array,
  loss: BoostingLoss,
  validation: GbdtDataset | undefined,
): number {
  const n0 = y.length;
  if (n0 === 0) throw new RangeError("y: no rows to train on");
  const p = X.length / n0;
  if (!Number.isInteger(p) || p < 1) {
    throw new RangeError(`X: length ${X.length} is not a multiple of the ${n0} rows of y`);
  }
  loss.validateTarget(y);
  if (validation) {
    if (validation.X.length !== validation.y.length * p) {
      throw new RangeError(`validation.X: expected ${validation.y.length}×${p} values`);
    }
    loss.validateTarget(validation.y);
  }
  return p;
}

/** Per-feature constraints in {-1, 0, 1} (one per feature) and one offset per row, when given. */
function checkMonotoneAndOffset(
  opts: GbdtOptions,
  p: number,
  n0: number,
  offset: Float64Array | undefined,
): void {
  const { monotone } = opts;
  if (monotone && (monotone.length !== p || monotone.some((m) => m !== -1 && m !== 0 && m !== 1))) {
    throw new RangeError(`options.monotone: expected ${p} values in {-1, 0, 1}`);
  }
  if (offset && offset.length !== n0) {
    throw new RangeError(`offset: expected ${n0} values, got ${offset.length}`);
  }
}

/** The training rows and the validation fold: the given one, or a seeded share split off. */
function splitValidation(
  whole: GbdtDataset,
  p: number,
  opts: GbdtOptions,
  random: () => number,
  validation: GbdtDataset | undefined,
): { train: GbdtDataset; valid: GbdtDataset | undefined } {
  const { X, y, offset } = whole;
  if (validation || opts.earlyStoppingRounds <= 0 || opts.validationFraction <= 0) {
    return { train: whole, valid: validation };
  }
  const n0 = y.length;
  const nValid = Math.floor(n0 * opts.validationFraction);
  if (!(nValid > 0 && nValid < n0)) return { train: whole, valid: undefined };
  const order = seededPermutation(n0, random);
  const validRows = order.subarray(0, nValid).slice().sort();
  const trainRows = order.subarray(nValid).slice().sort();
  const valid = datasetRows(X, y, p, validRows, offset);
  return { train: datasetRows(X, y, p, trainRows, offset), valid };
}

interface Boosted {
  trees: GbdtTree[];
  history: GbdtHistoryEntry[];
  bestIteration: number;
}

/** The boosting rounds: one tree per round on the loss's gradients, until early stopping. */
function boost(
  grower: HistogramTreeGrower,
  loss: BoostingLoss,
  train: GbdtDataset,
  valid: GbdtDataset | undefined,
  p: number,
  baseScore: number,
  opts: GbdtOptions,
  random: () => number,
): Boosted {
  const trainY = train.y;
  const n = trainY.length;
  const margin = startingMargin(n, baseScore, train.offset);
  const validMargin = valid ? startingMargin(valid.y.length, baseScore, valid.offset) : undefined;
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const inBag = new Uint8Array(n).fill(1);
  const allFeatures = Int32Array.from({ length: p }, (_, f) => f);
  const featuresPerTree = Math.max(1, Math.round(p * opts.featureSubsample));
  const out: Boosted = { trees: [], history: [], bestIteration: -1 };
  let bestValid = Number.POSITIVE_INFINITY;
  // Each round's gradients are computed with the previous round's training loss (one pass).
  loss.gradients(trainY, margin, grad, hess);
  for (let round = 0; round < opts.nEstimators; round++) {
    // Row sample (Bernoulli, seeded); rows out of the bag are still routed and updated.
    if (opts.rowSubsample < 1) {
      for (let i = 0; i < n; i++) inBag[i] = random() < opts.rowSubsample ? 1 : 0;
    }
    let features = allFeatures;
    if (featuresPerTree < p) {
      features = Int32Array.from(seededPermutation(p, random).subarray(0, featuresPerTree)).sort();
    }
    const { tree, nodeOfRow } = grower.grow(grad, hess, inBag, features, opts);
    out.trees.push(tree);
    treeGrown();
    const leafValue = tree.value;
    for (let i = 0; i < n; i++) margin[i]! += leafValue[nodeOfRow[i]!]!;
    const entry: GbdtHistoryEntry = {
      round,
      trainLoss: loss.meanLossAndGradients(trainY, margin, grad, hess),
    };
    if (valid && validMargin) {
      for (let i = 0; i < valid.y.length; i++)
        validMargin[i]! += treeMarginRaw(tree, valid.X, i * p);
      entry.validLoss = loss.meanLoss(valid.y, validMargin);
    }
    // With early stopping the best validation round is kept; without it, every round.
    if (opts.earlyStoppingRounds === 0 || entry.validLoss === undefined) out.bestIteration = round;
    else if (entry.validLoss < bestValid) {
      bestValid = entry.validLoss;
      out.bestIteration = round;
    }
    out.history.push(entry);
    if (
      opts.earlyStoppingRounds > 0 &&
      valid &&
      round - out.bestIteration >= opts.earlyStoppingRounds
    ) {
      break;
    }
  }
  return out;
}

/** Every row's margin before the first tree: the base score, plus the row's offset if any. */
function startingMargin(
  n: number,
  baseScore: number,
  offset: Float64Array | undefined,
): Float64Array {
  const margin = new Float64Array(n).fill(baseScore);
  if (offset) for (let i = 0; i < n; i++) margin[i]! += offset[i]!;
  return margin;
}

/** The best constant margin on top of per-row offsets: Newton steps on the summed loss. */
function constantOverOffset(loss: BoostingLoss, y: Float64Array, offset: Float64Array): number {
  const n = y.length;
  const margin = new Float64Array(n);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  let c = 0;
  for (let it = 0; it < 50; it++) {
    for (let i = 0; i < n; i++) margin[i] = c + offset[i]!;
    loss.gradients(y, margin, grad, hess);
    let g = 0;
    let h = 0;
    for (let i = 0; i < n; i++) {
      g += grad[i]!;
      h += hess[i]!;
    }
    const step = Math.max(-1, Math.min(1, g / h));
    c -= step;
    if (Math.abs(step) < 1e-10) break;
  }
  return c;
}

function validateOptions(o: GbdtOptions): void {
  const check = (ok: boolean, field: keyof GbdtOptions, what: string) => {
    if (!ok) throw new RangeError(`options.${field} = ${String(o[field])}: ${what}`);
  };
  const isInt = Number.isInteger;
  check(o.learningRate > 0 && o.learningRate <= 1, "learningRate", "must be in (0, 1]");
  check(isInt(o.maxDepth) && o.maxDepth >= 0, "maxDepth", "must be an integer >= 0");
  check(isInt(o.maxLeaves) && o.maxLeaves >= 1, "maxLeaves", "must be an integer >= 1");
  check(
    isInt(o.minSamplesLeaf) && o.minSamplesLeaf >= 1,
    "minSamplesLeaf",
    "must be an integer >= 1",
  );
  check(o.minHessianLeaf >= 0, "minHessianLeaf", "must be >= 0");
  check(o.l2 >= 0, "l2", "must be >= 0");
  check(o.minSplitGain >= 0, "minSplitGain", "must be >= 0");
  check(o.maxDeltaStep >= 0, "maxDeltaStep", "must be >= 0");
  check(o.rowSubsample > 0 && o.rowSubsample <= 1, "rowSubsample", "must be in (0, 1]");
  check(o.featureSubsample > 0 && o.featureSubsample <= 1, "featureSubsample", "must be in (0, 1]");
  check(isInt(o.nEstimators) && o.nEstimators >= 1, "nEstimators", "must be an integer >= 1");
  check(
    isInt(o.earlyStoppingRounds) && o.earlyStoppingRounds >= 0,
    "earlyStoppingRounds",
    "must be an integer >= 0",
  );
  check(
    o.validationFraction >= 0 && o.validationFraction < 1,
    "validationFraction",
    "must be in [0, 1)",
  );
  check(
    isInt(o.maxBins) && o.maxBins >= 2 && o.maxBins <= 255,
    "maxBins",
    "must be an integer in [2, 255]",
  );
  check(isInt(o.binSampleSize) && o.binSampleSize >= 1, "binSampleSize", "must be an integer >= 1");
  check(isInt(o.seed), "seed", "must be an integer");
}
