import { expect, test } from "bun:test";
import { assignFolds, kFoldSplit } from "./k-fold.ts";

test("K folds are disjoint, cover every customer once as test, and are balanced", () => {
  const n = 1003;
  const folds = kFoldSplit(n, 5, 7);
  expect(folds.length).toBe(5);
  const timesTested = new Uint8Array(n);
  for (const { train, test: held } of folds) {
    expect(train.length + held.length).toBe(n);
    expect(held.length === 200 || held.length === 201).toBe(true);
    const inTest = new Set(held);
    for (const i of train) expect(inTest.has(i)).toBe(false);
    for (const i of held) timesTested[i]!++;
  }
  expect(timesTested.every((t) => t === 1)).toBe(true);
});

test("folds are a function of the seed", () => {
  expect(assignFolds(500, 5, 1)).toEqual(assignFolds(500, 5, 1));
  expect(assignFolds(500, 5, 1)).not.toEqual(assignFolds(500, 5, 2));
  // not simply i % k
  const f = assignFolds(500, 5, 1);
  expect(Array.from(f).every((v, i) => v === i % 5)).toBe(false);
});

test("bad fold counts are refused", () => {
  expect(() => kFoldSplit(10, 1, 0)).toThrow(RangeError);
  expect(() => kFoldSplit(3, 5, 0)).toThrow(RangeError);
});
