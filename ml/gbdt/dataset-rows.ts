// Some rows of a training set, copied out: a fold's, a bag member's or a validation split's.

import type { GbdtDataset } from "./train-gbdt.ts";

/**
 * The rows' features of a row-major matrix with p columns. Copied value by value: a subarray view
 * per row (and set) made an object per row, ~110,000 of them per CDNOW training on the main
 * thread alone, and cost 2-4 times the plain loop.
 */
export function takeRows(X: Float32Array, p: number, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * p);
  let o = 0;
  for (let i = 0; i < rows.length; i++) {
    const from = rows[i]! * p;
    for (let j = 0; j < p; j++) out[o++] = X[from + j]!;
  }
  return out;
}

/** The rows' values of y (or of any per-row column). */
export function takeValues(y: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]!]!;
  return out;
}

/** The rows of a dataset: features, targets and, when given, their margin offsets. */
export function datasetRows(
  X: Float32Array,
  y: Float64Array,
  p: number,
  rows: Uint32Array,
  offset?: Float64Array,
): GbdtDataset {
  const part = { X: takeRows(X, p, rows), y: takeValues(y, rows) };
  return offset ? { ...part, offset: takeValues(offset, rows) } : part;
}
