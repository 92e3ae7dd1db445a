import { expect, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { crossValidateGbdtRepeated, moreFoldSplits, outOfFold } from "./blend-repeated-cv.ts";
import { crossValidateGbdt, smallDataGbdtOptions } from "./gbdt-cross-validation.ts";

const data = makeSyntheticGbdtData(1500, 5, "poisson", 3);
const options = { ...smallDataGbdtOptions("poisson", 1200, 11, true), nEstimators: 40 };
const folds = kFoldSplit(data.n, 5, 11);

test("the further splits are other partitions of the same customers, the same on every run", () => {
  const splits = moreFoldSplits(data.n, 5, 11);
  expect(splits.length).toBe(2);
  for (const split of splits) {
    const tests = split.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
    expect(tests).toEqual(Array.from({ length: data.n }, (_, i) => i));
    expect(split[0]?.test).not.toEqual(folds[0]?.test);
  }
  expect(moreFoldSplits(data.n, 5, 11)).toEqual(splits);
  expect(splits[0]?.[0]?.test).not.toEqual(splits[1]?.[0]?.test);
});

test("repeated: the first split's model and scores, out-of-fold forecasts averaged over 3 splits", () => {
  const single = crossValidateGbdt(data.X, data.y, folds, options, (a, p) => poissonDeviance(a, p));
  const repeated = crossValidateGbdtRepeated(data.X, data.y, folds, options, (a, p) =>
    poissonDeviance(a, p),
  );
  expect(repeated.final).toEqual(single.final);
  expect(repeated.folds).toEqual(single.folds);
  expect(outOfFold(data.X, data.y, folds, options)).toEqual(single.oof);
  const more = moreFoldSplits(data.n, 5, 11).map((s) => outOfFold(data.X, data.y, s, options));
  for (let i = 0; i < data.n; i += 37) {
    const mean =
      ((single.oof[i] as number) + (more[0]?.[i] as number) + (more[1]?.[i] as number)) / 3;
    expect(repeated.oof[i] as number).toBeCloseTo(mean, 12);
  }
  // Averaging three models' forecasts is no worse out of fold than one split's (it is smoother).
  expect(poissonDeviance(data.y, repeated.oof)).toBeLessThanOrEqual(
    poissonDeviance(data.y, single.oof),
  );
});
