import { expect, test } from "bun:test";
import { treeGrown, whileCountingTrees } from "./fit-progress.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";
import { trainGbdt } from "./train-gbdt.ts";
import { trainGbdtBag } from "./train-gbdt-bag.ts";

const data = makeSyntheticGbdtData(400, 4, "poisson", 5);
const options = { loss: "poisson" as const, nEstimators: 20, seed: 3 };

test("a fit reports each tree it grows; the model is the same watched or not", () => {
  const alone = trainGbdt(data.X, data.y, options);
  const heard: number[] = [];
  const watched = whileCountingTrees(
    (trees) => heard.push(trees),
    () => trainGbdt(data.X, data.y, options),
    0,
  );
  expect(watched).toEqual(alone);
  expect(heard).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
});

test("a bag's members all count; early stopping reports the trees grown, kept or not", () => {
  const bag = { members: 3, sampling: "subsample" as const, fraction: 0.8 };
  let last = 0;
  const stopping = { ...options, nEstimators: 200, earlyStoppingRounds: 3 };
  whileCountingTrees(
    (trees) => {
      last = trees;
    },
    () => trainGbdtBag(data.X, data.y, stopping, bag),
    0,
  );
  expect(last).toBeGreaterThan(3 * 3);
  expect(last).toBeLessThanOrEqual(3 * 200);
});

test("reports are throttled, and the previous listener comes back after a fit", () => {
  const outer: number[] = [];
  whileCountingTrees(
    (trees) => outer.push(trees),
    () => {
      treeGrown();
      const inner: number[] = [];
      // A whole second between reports: 5 quick trees say nothing.
      whileCountingTrees(
        (trees) => inner.push(trees),
        () => {
          for (let i = 0; i < 5; i++) treeGrown();
        },
        60_000,
      );
      expect(inner).toEqual([]);
      treeGrown();
    },
    0,
  );
  expect(outer).toEqual([1, 2]);
  treeGrown(); // no listener: nothing happens
});
