// Do-no-harm on squared error for the blend (issue #17): among the deviance-fitted stack, its
// shrinkages towards the best single model and the single models themselves, keep per segment (or
// for everybody) the lowest-deviance candidate whose out-of-fold squared error is no worse than
// the best single model's. Every choice is made by cross-validation on the rows being fitted.
// Measured by bench/blend-candidates, not used in training: it lost on both counts (README).

import type { Fold } from "../evaluation/k-fold.ts";
import {
  type BlendWeights,
  blendForecast,
  fitBlendWeights,
  frequencySegment,
  POOLING_CANDIDATES,
  SEGMENTS,
} from "./blend.ts";

/** Shrinkage of the stack towards the best single model: w·stack + (1 − w)·single. */
export const SHRINK_GRID = [0.25, 0.5, 0.75] as const;

/** "segment": each segment chooses its candidate; "global": one choice for everybody. */
export type GuardScope = "segment" | "global";

/** A candidate: w·stack + (1 − w)·model k (w = 1: the stack; w = 0: model k alone). */
interface Candidate {
  w: number;
  k: number;
}

/** The stack, its shrinkages towards `best`, and each single model. */
function candidates(m: number, best: number): Candidate[] {
  return [
    { w: 1, k: best },
    ...SHRINK_GRID.map((w) => ({ w, k: best })),
    ...Array.from({ length: m }, (_, k) => ({ w: 0, k })),
  ];
}

/** The candidate's served weight row given the stack's (linear, so out of fold it is the same map). */
function candidateRow(c: Candidate, stackRow: readonly number[]): number[] {
  return stackRow.map((v, k) => c.w * v + (1 - c.w) * (k === c.k ? 1 : 0));
}

/** Folds over `rows` made of the given folds' test sets restricted to `rows` (leave one out). */
export function innerFolds(folds: readonly Fold[], rows: ArrayLike<number>): Fold[] {
  const inRows = new Set(Array.from(rows));
  const tests = folds
    .map((f) => Uint32Array.from(Array.from(f.test).filter((i) => inRows.has(i))))
    .filter((t) => t.length > 0);
  return tests.map((test, t) => ({
    test,
    train: Uint32Array.from(tests.flatMap((other, o) => (o === t ? [] : Array.from(other)))),
  }));
}

interface Scores {
  deviance: number;
  squared: number;
}

/** Σ Poisson deviance and Σ squared error of `predict` over `rows`. */
function score(
  actual: Float64Array,
  rows: readonly number[],
  predict: (i: number) => number,
): Scores {
  let deviance = 0;
  let squared = 0;
  for (const i of rows) {
    const y = actual[i] ?? 0;
    const mu = Math.max(predict(i), 1e-12);
    deviance += 2 * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu));
    squared += (y - mu) ** 2;
  }
  return { deviance, squared };
}

/** Lowest deviance with squared error ≤ `limit`; none qualifying: the lowest squared error. */
function choose(scores: readonly Scores[], limit: number): number {
  let pick = -1;
  scores.forEach((s, c) => {
    const picked = scores[pick];
    if (s.squared <= limit * (1 + 1e-12) && (!picked || s.deviance < picked.deviance)) pick = c;
  });
  if (pick >= 0) return pick;
  return scores.reduce((b, s, c) => (s.squared < (scores[b]?.squared ?? 0) ? c : b), 0);
}

/**
 * The guarded blend fitted on `rows`: the stack's pooling κ by deviance over `folds` (which
 * partition `rows`), then the candidates scored on those folds' out-of-fold forecasts and chosen
 * per `scope`; the served weights are the chosen candidates applied to the stack refitted on `rows`.
 */
export function fitGuardedBlend(
  forecasts: readonly Float64Array[],
  actual: Float64Array,
  x: Float64Array,
  rows: ArrayLike<number>,
  folds: readonly Fold[],
  scope: GuardScope,
): BlendWeights {
  const m = forecasts.length;
  const values = new Float64Array(m);
  // Indices below the arrays' lengths throughout: the `?? 0` never applies (as in blend.ts).
  const value = (w: BlendWeights, i: number) => {
    forecasts.forEach((f, k) => {
      values[k] = f[i] ?? 0;
    });
    return blendForecast(w, x[i] ?? 0, values);
  };
  // Out-of-fold stack forecasts per κ; keep the κ of lowest deviance.
  let best: { pooling: number; oof: Map<number, number>; deviance: number } | null = null;
  const all = Array.from(rows);
  for (const pooling of POOLING_CANDIDATES) {
    const oof = new Map<number, number>();
    for (const fold of folds) {
      const w = fitBlendWeights(forecasts, actual, x, fold.train, pooling);
      for (const i of fold.test) oof.set(i, value(w, i));
    }
    const d = score(actual, all, (i) => oof.get(i) as number).deviance;
    if (!best || d < best.deviance) best = { pooling, oof, deviance: d };
  }
  const chosen = best as NonNullable<typeof best>;
  const stack = fitBlendWeights(forecasts, actual, x, rows, chosen.pooling);
  const groups: number[][] =
    scope === "global"
      ? Array.from({ length: SEGMENTS }, () => all)
      : Array.from({ length: SEGMENTS }, (_, g) =>
          all.filter((i) => frequencySegment(x[i] ?? 0) === g),
        );
  const weights = groups.map((group, g) => {
    const stackRow = stack.weights[g];
    if (!stackRow) throw new RangeError(`blend guard: no stack weights for segment ${g}`);
    if (group.length === 0) return stackRow;
    const singles = forecasts.map((f) => score(actual, group, (i) => f[i] ?? 0).squared);
    const bestSingle = singles.reduce((b, s, k) => (s < (singles[b] ?? 0) ? k : b), 0);
    const list = candidates(m, bestSingle);
    const scores = list.map(({ w, k }) => {
      const single = forecasts[k] ?? new Float64Array(0);
      return score(actual, group, (i) => w * (chosen.oof.get(i) ?? 0) + (1 - w) * (single[i] ?? 0));
    });
    const pick = list[choose(scores, singles[bestSingle] ?? 0)];
    if (!pick) throw new RangeError("blend guard: no candidate chosen");
    return candidateRow(pick, stackRow);
  });
  return { pooling: chosen.pooling, weights };
}

/** Out-of-fold forecasts of the guarded blend (each fold's choice made on the other folds). */
export function crossValidateGuardedBlend(
  forecasts: readonly Float64Array[],
  actual: Float64Array,
  x: Float64Array,
  folds: readonly Fold[],
  scope: GuardScope,
): { oof: Float64Array; final: BlendWeights } {
  const m = forecasts.length;
  const values = new Float64Array(m);
  const oof = new Float64Array(actual.length);
  for (const fold of folds) {
    const w = fitGuardedBlend(
      forecasts,
      actual,
      x,
      fold.train,
      innerFolds(folds, fold.train),
      scope,
    );
    for (const i of fold.test) {
      forecasts.forEach((f, k) => {
        values[k] = f[i] ?? 0;
      });
      oof[i] = blendForecast(w, x[i] ?? 0, values);
    }
  }
  const all = Uint32Array.from({ length: actual.length }, (_, i) => i);
  return { oof, final: fitGuardedBlend(forecasts, actual, x, all, folds, scope) };
}
