import { expect, test } from "bun:test";
import { gbdtFeatureImportance } from "./feature-importance.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";
import { trainGbdt } from "./train-gbdt.ts";

test("the signal features carry the importance; noise features little", () => {
  const d = makeSyntheticGbdtData(6000, 8, "poisson", 8);
  const model = trainGbdt(d.X, d.y, { loss: "poisson", nEstimators: 80 });
  const { gainShare, splits } = gbdtFeatureImportance(model);
  expect(gainShare.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  // x0 (0.5·x0) and x1 (−0.3·x1) drive the signal; x4..x7 are noise.
  const signal = gainShare[0]! + gainShare[1]!;
  const noise = gainShare[4]! + gainShare[5]! + gainShare[6]! + gainShare[7]!;
  expect(signal).toBeGreaterThan(0.5);
  expect(noise).toBeLessThan(signal / 2);
  expect(splits[0]).toBeGreaterThan(0);
  for (const tree of model.trees) {
    tree.feature.forEach((f, node) => {
      expect(tree.gain[node]! > 0).toBe(f >= 0);
    });
  }
});
