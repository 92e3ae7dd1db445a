// Seeded K-fold assignment over customers, so that every out-of-fold score comes from a model that
// never saw that customer, and the same seed gives the same folds on every run and runtime.

import { createSeededRandom, seededPermutation } from "../random/seeded-random.ts";

/** One fold: indices to train on and indices to score (disjoint; together all of 0..n-1). */
export interface Fold {
  train: Uint32Array;
  test: Uint32Array;
}

/**
 * The fold number (0..k-1) of each of n items: a seeded shuffle dealt round-robin, so fold sizes
 * differ by at most one.
 */
export function assignFolds(n: number, k: number, seed: number): Uint8Array {
  if (!Number.isInteger(k) || k < 2 || k > 255)
    throw new RangeError(`folds must be 2..255, got ${k}`);
  if (n < k) throw new RangeError(`cannot split ${n} customers into ${k} folds`);
  const order = seededPermutation(n, createSeededRandom(seed));
  const fold = new Uint8Array(n);
  for (let r = 0; r < n; r++) fold[order[r]!] = r % k;
  return fold;
}

/** K folds over n items (customers), seeded. */
export function kFoldSplit(n: number, k: number, seed: number): Fold[] {
  const assignment = assignFolds(n, k, seed);
  const sizes = new Uint32Array(k);
  for (let i = 0; i < n; i++) sizes[assignment[i]!]!++;
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test = new Uint32Array(sizes[f]!);
    const train = new Uint32Array(n - sizes[f]!);
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (assignment[i] === f) test[a++] = i;
      else train[b++] = i;
    }
    folds.push({ train, test });
  }
  return folds;
}
