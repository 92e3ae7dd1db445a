// The types of the gradient-boosted tree learner: its options, the trained model (plain JSON-able
// data, exported to ONNX by ml/onnx) and the per-round training history.

export type GbdtLoss = "poisson" | "logistic" | "squared" | "gamma";

export interface GbdtOptions {
  loss: GbdtLoss;
  /** Shrinkage applied to every leaf value. */
  learningRate: number;
  /** Maximum depth of a tree (root has depth 0). */
  maxDepth: number;
  /** Maximum leaves per tree; trees grow level by level, the best splits of a level first. */
  maxLeaves: number;
  /** A split is allowed only if each child keeps at least this many (in-bag) rows. */
  minSamplesLeaf: number;
  /** A split is allowed only if each child keeps at least this much hessian. */
  minHessianLeaf: number;
  /** L2 penalty on leaf values (lambda). */
  l2: number;
  /** Minimum gain for a split to be made. */
  minSplitGain: number;
  /** Largest absolute leaf step before shrinkage (0 = no limit); keeps Poisson/Gamma stable. */
  maxDeltaStep: number;
  /**
   * Per feature: +1 the margin may only rise with it, −1 only fall, 0 free (absent: none). A split
   * that breaks a constraint is rejected, and the children's leaf values are bounded by the
   * midpoint of the split's two values (LightGBM's basic method), so every tree is monotone.
   */
  monotone?: number[];
  /** Fraction of rows each tree sees (Bernoulli sample, seeded). */
  rowSubsample: number;
  /** Fraction of features each tree may split on (seeded). */
  featureSubsample: number;
  /** Maximum number of boosting rounds. */
  nEstimators: number;
  /** Stop when the validation loss has not improved for this many rounds (0 = never). */
  earlyStoppingRounds: number;
  /** Fraction held out for early stopping when no validation set is passed (0 = none). */
  validationFraction: number;
  /** Number of histogram bins per feature, at most 255 (bins are stored as Uint8). */
  maxBins: number;
  /** Rows sampled to choose bin edges (quantiles). */
  binSampleSize: number;
  seed: number;
}

/**
 * One tree in flat arrays, node 0 is the root. An internal node sends a row left when
 * `x[feature] <= threshold` (float32 comparison, NaN goes right), otherwise right.
 * Leaves have feature = -1 and carry `value` (already multiplied by the learning rate, float32).
 */
export interface GbdtTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
  /** Loss reduction of each split (0 for leaves); part of the stored model, read by no code now. */
  gain: number[];
}

export interface GbdtHistoryEntry {
  round: number;
  trainLoss: number;
  validLoss?: number;
}

export interface GbdtModel {
  loss: GbdtLoss;
  /** Initial margin (log mean for poisson/gamma, logit for logistic, mean for squared), float32. */
  baseScore: number;
  featureCount: number;
  trees: GbdtTree[];
  /**
   * 0-based last round kept: the best validation round with early stopping, else the last round;
   * trees.length === bestIteration + 1.
   */
  bestIteration: number;
  history: GbdtHistoryEntry[];
  options: GbdtOptions;
  /**
   * A bag (train-gbdt-bag.ts): the trees each member kept, in order (they sum to trees.length);
   * the trees are the members' concatenated with leaf values divided by the member count, so the
   * margin is the members' mean margin. Absent for one boosted ensemble; `history` is member 0's.
   */
  members?: number[];
}

/** Sensible defaults per loss; override any field with a spread. */
export function defaultGbdtOptions(loss: GbdtLoss): GbdtOptions {
  return {
    loss,
    learningRate: 0.1,
    maxDepth: 6,
    maxLeaves: 31,
    minSamplesLeaf: 20,
    minHessianLeaf: 1e-3,
    l2: 1,
    minSplitGain: 0,
    // XGBoost's default for count:poisson: small hessians (rare events) would blow leaves up.
    maxDeltaStep: loss === "poisson" ? 0.7 : 0,
    rowSubsample: 1,
    featureSubsample: 1,
    nEstimators: 200,
    earlyStoppingRounds: 20,
    validationFraction: 0.2,
    maxBins: 255,
    binSampleSize: 200_000,
    seed: 42,
  };
}
