// Evaluates a parsed ONNX tree ensemble the way onnxruntime's CPU kernel does, without ORT:
// float32 inputs and thresholds, leaf weights summed in float32 in tree order, base value added
// last, then Exp/Sigmoid in float32. Small and runtime-neutral, for the Workers build.

import {
  addForestLeaves,
  type CompleteTreeForest,
  completeTreeForest,
} from "./complete-tree-forest.ts";
import { LEAF_MODE, type ParsedTreeEnsemble } from "./parse-tree-ensemble.ts";

export interface TreeEnsembleOutput {
  prediction: Float32Array;
  margin: Float32Array;
}

/** Follows one tree for the row at X[offset] and returns its leaf's node index. */
function leafOf(e: ParsedTreeEnsemble, root: number, X: Float32Array, offset: number): number {
  const { mode, feature, threshold, trueChild, falseChild, missingTracksTrue } = e;
  let i = root;
  for (;;) {
    const m = mode[i];
    if (m === LEAF_MODE) return i;
    const x = X[offset + feature[i]!]!;
    const t = threshold[i]!;
    let goTrue: boolean;
    if (Number.isNaN(x)) goTrue = missingTracksTrue[i] === 1;
    else if (m === 0) goTrue = x <= t;
    else if (m === 1) goTrue = x < t;
    else if (m === 2) goTrue = x >= t;
    else if (m === 3) goTrue = x > t;
    else if (m === 4) goTrue = x === t;
    else goTrue = x !== t;
    i = goTrue ? trueChild[i]! : falseChild[i]!;
  }
}

/** Each ensemble's complete layout, built on first use (null: it keeps the node walk). */
const forests = new WeakMap<ParsedTreeEnsemble, CompleteTreeForest | null>();

function forestOf(e: ParsedTreeEnsemble): CompleteTreeForest | null {
  let forest = forests.get(e);
  if (forest === undefined) {
    forest = completeTreeForest(e);
    forests.set(e, forest);
  }
  return forest;
}

/** The float32 margins (leaf weights summed in tree order, base value last) of n rows of X. */
export function evaluateTreeEnsembleMargins(
  e: ParsedTreeEnsemble,
  X: Float32Array,
  n?: number,
): Float32Array {
  const p = e.featureCount;
  const rows = n ?? X.length / p;
  if (!Number.isInteger(rows) || X.length < rows * p) {
    throw new RangeError(`X: length ${X.length} does not hold ${rows} rows of ${p} features`);
  }
  const margin = new Float32Array(rows);
  const forest = forestOf(e);
  if (forest) {
    // Float32Array stores round like fround: the same sums as the walk below.
    addForestLeaves(forest, X, p, rows, margin);
    for (let r = 0; r < rows; r++) margin[r] = margin[r]! + e.baseValue;
    return margin;
  }
  return walkTreeEnsembleMargins(e, X, rows, margin);
}

/** The node-by-node walk: any ensemble the parser accepts (and the layout's reference in tests). */
export function walkTreeEnsembleMargins(
  e: ParsedTreeEnsemble,
  X: Float32Array,
  rows: number,
  margin: Float32Array = new Float32Array(rows),
): Float32Array {
  const p = e.featureCount;
  const roots = e.roots;
  const fround = Math.fround;
  for (let r = 0; r < rows; r++) {
    let score = 0;
    for (let t = 0; t < roots.length; t++) {
      score = fround(score + e.leafWeight[leafOf(e, roots[t]!, X, r * p)]!);
    }
    margin[r] = fround(score + e.baseValue);
  }
  return margin;
}

/** Scores n rows of row-major float32 X (n × featureCount). */
export function evaluateTreeEnsemble(
  e: ParsedTreeEnsemble,
  X: Float32Array,
  n?: number,
): TreeEnsembleOutput {
  const margin = evaluateTreeEnsembleMargins(e, X, n);
  const prediction = new Float32Array(margin.length);
  for (let r = 0; r < margin.length; r++) {
    const m = margin[r]!;
    if (e.transform === "exp") prediction[r] = Math.exp(m);
    else if (e.transform === "sigmoid") prediction[r] = 1 / (1 + Math.exp(-m));
    else prediction[r] = m;
  }
  return { prediction, margin };
}
