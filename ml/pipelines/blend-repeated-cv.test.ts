import { expect, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { moreFoldSplits } from "./blend-repeated-cv.ts";
import { crossValidateGbdt, gbdtOutOfFold, smallDataGbdtOptions } from "./gbdt-cross-validation.ts";

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

test("one split's out-of-fold forecasts are crossValidateGbdt's; averaging three splits' helps", async () => {
  const single = await crossValidateGbdt(data.X, data.y, folds, options, (a, p) =>
    poissonDeviance(a, p),
  );
  expect(await gbdtOutOfFold(data.X, data.y, folds, options)).toEqual(single.oof);
  const more = await Promise.all(
    moreFoldSplits(data.n, 5, 11).map((s) => gbdtOutOfFold(data.X, data.y, s, options)),
  );
  const mean = Float64Array.from(single.oof, (v, i) => (v + more[0]![i]! + more[1]![i]!) / 3);
  expect(more[0]).not.toEqual(single.oof);
  // A bag of three splits' fold models is no worse out of fold than one split's (it is smoother).
  expect(poissonDeviance(data.y, mean)).toBeLessThanOrEqual(poissonDeviance(data.y, single.oof));
});
