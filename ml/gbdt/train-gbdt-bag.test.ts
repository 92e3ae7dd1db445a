import { expect, setDefaultTimeout, test } from "bun:test";
import { poissonDeviance } from "../evaluation/metrics.ts";
import { exportGbdtToOnnx } from "../onnx/export-tree-ensemble.ts";
import { createOrtTreeEnsembleSession } from "../onnx/ort-session.ts";
import { parseTreeEnsembleOnnx } from "../onnx/parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "../onnx/tree-ensemble-evaluator.ts";
import { createSeededRandom } from "../random/seeded-random.ts";
import { predictGbdt, predictGbdtMargin } from "./predict.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";
import { trainGbdt } from "./train-gbdt.ts";
import {
  type GbdtBagOptions,
  memberRows,
  memberSeed,
  mergeBag,
  trainGbdtBag,
} from "./train-gbdt-bag.ts";

// Training and starting ORT can take seconds on a busy 2-core machine.
setDefaultTimeout(60_000);

const options = { loss: "poisson" as const, nEstimators: 60, learningRate: 0.1, seed: 5 };
const boot: GbdtBagOptions = { members: 3, sampling: "bootstrap", fraction: 0.8 };
const sub: GbdtBagOptions = { members: 3, sampling: "subsample", fraction: 0.8 };

test("member rows: a subsample splits the rows in two; a bootstrap leaves out the rows not drawn", () => {
  const s = memberRows(100, sub, createSeededRandom(1));
  expect(s.inBag.length).toBe(80);
  expect([...s.inBag, ...s.outOfBag].sort((a, b) => a - b)).toEqual(
    Array.from({ length: 100 }, (_, i) => i),
  );
  const b = memberRows(1000, boot, createSeededRandom(1));
  expect(b.inBag.length).toBe(1000);
  const drawn = new Set(b.inBag);
  expect(drawn.size + b.outOfBag.length).toBe(1000);
  for (const r of b.outOfBag) expect(drawn.has(r)).toBe(false);
  // About e^-1 of the rows are never drawn.
  expect(Math.abs(b.outOfBag.length / 1000 - Math.exp(-1))).toBeLessThan(0.05);
});

test("the bag's margin is its members' mean margin; trees per member are recorded", () => {
  const d = makeSyntheticGbdtData(2000, 6, "poisson", 3);
  const bag = trainGbdtBag(d.X, d.y, options, boot);
  const members = bag.members ?? [];
  expect(members.length).toBe(3);
  expect(members.reduce((s, t) => s + t, 0)).toBe(bag.trees.length);
  expect(bag.bestIteration).toBe(bag.trees.length - 1);
  // Rebuild member 0 alone: the same rows, seed and validation as inside the bag.
  const { inBag, outOfBag } = memberRows(d.n, boot, createSeededRandom(5));
  const rows = (list: Uint32Array) => ({
    X: Float32Array.from(Array.from(list).flatMap((r) => [...d.X.subarray(r * 6, r * 6 + 6)])),
    y: Float64Array.from(list, (r) => d.y[r] ?? 0),
  });
  const train = rows(inBag);
  const first = trainGbdt(
    train.X,
    train.y,
    { ...options, seed: memberSeed(5, 0), validationFraction: 0 },
    rows(outOfBag),
  );
  expect(first.trees.length).toBe(members[0] ?? -1);
  const scaled = first.trees[0]?.value.map((v) => Math.fround(v / 3));
  expect(bag.trees[0]?.value).toEqual(scaled ?? []);
  expect(trainGbdtBag(d.X, d.y, options, boot)).toEqual(bag);
});

test("mergeBag: the merged margin is the members' mean margin (to float32 rounding)", () => {
  const d = makeSyntheticGbdtData(1500, 6, "poisson", 9);
  const models = [1, 2, 3].map((seed) => trainGbdt(d.X, d.y, { ...options, seed }));
  const merged = mergeBag(models);
  expect(merged.members).toEqual(models.map((m) => m.trees.length));
  const margins = models.map((m) => predictGbdtMargin(m, d.X));
  const got = predictGbdtMargin(merged, d.X);
  for (let i = 0; i < d.n; i++) {
    const mean = margins.reduce((s, m) => s + (m[i] ?? 0), 0) / 3;
    expect(Math.abs((got[i] ?? 0) - mean)).toBeLessThan(1e-5);
  }
  expect(() => mergeBag([])).toThrow(/no members/);
});

test("a bag scores no worse than one of its members on new rows", () => {
  const train = makeSyntheticGbdtData(1500, 6, "poisson", 7);
  const fresh = makeSyntheticGbdtData(4000, 6, "poisson", 8);
  for (const sampling of [boot, sub]) {
    const bag = trainGbdtBag(train.X, train.y, options, { ...sampling, members: 5 });
    const one = trainGbdtBag(train.X, train.y, options, { ...sampling, members: 1 });
    const bagLoss = poissonDeviance(fresh.y, predictGbdt(bag, fresh.X));
    expect(bagLoss).toBeLessThanOrEqual(poissonDeviance(fresh.y, predictGbdt(one, fresh.X)));
  }
});

test("fixed rounds per member (a production refit) give exactly those trees", () => {
  const d = makeSyntheticGbdtData(800, 5, "poisson", 4);
  const bag = trainGbdtBag(d.X, d.y, options, sub, [4, 7, 1]);
  expect(bag.members).toEqual([4, 7, 1]);
  expect(() => trainGbdtBag(d.X, d.y, options, sub, [4])).toThrow(/rounds/);
  expect(() => trainGbdtBag(d.X, d.y, options, { ...sub, members: 0 })).toThrow(/members/);
  expect(() => trainGbdtBag(d.X, d.y, options, { ...sub, fraction: 1 })).toThrow(/fraction/);
});

test("a bagged model exports to ONNX; onnxruntime-web, the TS evaluator and predictGbdt agree", async () => {
  const d = makeSyntheticGbdtData(3000, 7, "poisson", 21);
  const bag = trainGbdtBag(d.X, d.y, options, { ...boot, members: 5 });
  const bytes = exportGbdtToOnnx(bag, { featureNames: d.featureNames, layoutVersion: "t" });
  const parsed = parseTreeEnsembleOnnx(bytes);
  expect(parsed.roots.length).toBe(bag.trees.length);
  expect(parsed.baseValue).toBe(bag.baseScore);
  const fresh = makeSyntheticGbdtData(2000, 7, "poisson", 22);
  const session = await createOrtTreeEnsembleSession(bytes, 7);
  const ort = await session.run(fresh.X, fresh.n);
  const evaluated = evaluateTreeEnsemble(parsed, fresh.X, fresh.n);
  expect(Array.from(evaluated.margin)).toEqual(Array.from(ort.margin));
  const ts = predictGbdt(bag, fresh.X);
  let worst = 0;
  for (let i = 0; i < fresh.n; i++) {
    const want = ts[i] ?? Number.NaN;
    worst = Math.max(worst, Math.abs((ort.prediction[i] ?? Number.NaN) - want) / want);
  }
  expect(worst).toBeLessThanOrEqual(1e-5);
  await session.release();
});
