// Evaluates a parsed ONNX tree ensemble the way onnxruntime's CPU kernel does, without ORT:
// float32 inputs and thresholds, leaf weights summed in float32 in tree order, base value added
// last, then Exp/Sigmoid in float32. Small and runtime-neutral, for the Workers build.

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

/** Scores n rows of row-major float32 X (n × featureCount). */
export function evaluateTreeEnsemble(
  e: ParsedTreeEnsemble,
  X: Float32Array,
  n?: number,
): TreeEnsembleOutput {
  const p = e.featureCount;
  const rows = n ?? X.length / p;
  if (!Number.isInteger(rows) || X.length < rows * p) {
    throw new RangeError(`X: length ${X.length} does not hold ${rows} rows of ${p} features`);
  }
  const margin = new Float32Array(rows);
  const prediction = new Float32Array(rows);
  const roots = e.roots;
  const fround = Math.fround;
  for (let r = 0; r < rows; r++) {
    let score = 0;
    for (let t = 0; t < roots.length; t++) {
      score = fround(score + e.leafWeight[leafOf(e, roots[t]!, X, r * p)]!);
    }
    const m = fround(score + e.baseValue);
    margin[r] = m;
    if (e.transform === "exp") prediction[r] = Math.exp(m);
    else if (e.transform === "sigmoid") prediction[r] = 1 / (1 + Math.exp(-m));
    else prediction[r] = m;
  }
  return { prediction, margin };
}
