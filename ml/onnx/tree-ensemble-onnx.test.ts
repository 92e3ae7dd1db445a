// Equality of the three scorers on every test row: the TypeScript model (predictGbdt), the
// exported ONNX under onnxruntime-web, and the TypeScript evaluator of the parsed ONNX.
// Tolerances: relative 1e-5 on counts/spend (poisson, gamma), absolute 1e-5 on probabilities
// (logistic) and on squared-error predictions; ORT and the evaluator margins must be identical.

import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GbdtLoss, GbdtModel } from "../gbdt/gbdt-model.ts";
import { predictGbdt } from "../gbdt/predict.ts";
import { makeSyntheticGbdtData, type SyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { trainGbdt } from "../gbdt/train-gbdt.ts";
import { exportGbdtToOnnx } from "./export-tree-ensemble.ts";
import { createOrtTreeEnsembleSession } from "./ort-session.ts";
import { parseTreeEnsembleOnnx } from "./parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "./tree-ensemble-evaluator.ts";

// Training and starting ORT can take seconds on a busy 2-core machine.
setDefaultTimeout(60_000);

const LOSSES: GbdtLoss[] = ["poisson", "logistic", "gamma", "squared"];
const P = 7;

interface Case {
  model: GbdtModel;
  bytes: Uint8Array;
  test: SyntheticGbdtData;
}
const cases = new Map<GbdtLoss, Case>();

/** Test rows plus rows sitting exactly on split thresholds, just above them, and NaN. */
function withEdgeRows(model: GbdtModel, d: SyntheticGbdtData): Float32Array {
  const extra: number[] = [];
  const thresholds = model.trees
    .slice(0, 20)
    .flatMap((t) =>
      t.feature.map((f, node) => [f, t.threshold[node]!] as const).filter(([f]) => f >= 0),
    );
  for (const [f, thr] of thresholds) {
    const row = Array.from(d.X.subarray(0, P));
    row[f] = thr;
    extra.push(...row);
    const above = new Float32Array([thr]);
    new Uint32Array(above.buffer)[0]! += thr >= 0 ? 1 : -1; // next float32 up
    row[f] = above[0]!;
    extra.push(...row);
    row[f] = Number.NaN;
    extra.push(...row);
  }
  const X = new Float32Array(d.X.length + extra.length);
  X.set(d.X);
  X.set(extra, d.X.length);
  return X;
}

beforeAll(() => {
  for (const loss of LOSSES) {
    const train = makeSyntheticGbdtData(6000, P, loss, 21);
    const model = trainGbdt(train.X, train.y, { loss, nEstimators: 120, rowSubsample: 0.8 });
    const test_ = makeSyntheticGbdtData(3000, P, loss, 22);
    const bytes = exportGbdtToOnnx(model, {
      featureNames: train.featureNames,
      layoutVersion: "synthetic-v1",
      metadata: { model_id: `test-${loss}` },
    });
    cases.set(loss, { model, bytes, test: { ...test_, X: withEdgeRows(model, test_) } });
  }
});

function expectClose(loss: GbdtLoss, got: Float32Array, want: Float64Array | Float32Array) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i]! - want[i]!);
    const err = loss === "poisson" || loss === "gamma" ? diff / Math.abs(want[i]!) : diff;
    if (!(err <= worst)) worst = err; // NaN-safe: a NaN error sets worst to NaN
  }
  expect(worst).toBeLessThanOrEqual(1e-5);
}

for (const loss of LOSSES) {
  test(`${loss}: onnxruntime-web equals predictGbdt and the TS evaluator on every test row`, async () => {
    const { model, bytes, test: d } = cases.get(loss) as Case;
    const n = d.X.length / P;
    expect(n).toBeGreaterThan(3000);
    const session = await createOrtTreeEnsembleSession(bytes, P);
    const ort = await session.run(d.X, n);
    const ts = predictGbdt(model, d.X, n);
    expectClose(loss, ort.prediction, ts);

    const evaluated = evaluateTreeEnsemble(parseTreeEnsembleOnnx(bytes), d.X, n);
    expect(Array.from(evaluated.margin)).toEqual(Array.from(ort.margin));
    expectClose(loss, evaluated.prediction, ort.prediction);

    // Batch of one gives the same as the big batch.
    for (const i of [0, 1, n - 1]) {
      const one = await session.run(d.X.subarray(i * P, i * P + P), 1);
      expect(one.prediction[0]).toBe(ort.prediction[i]);
    }
    await session.release();
  }, 60_000);
}

test("metadata round-trips through the ONNX bytes", () => {
  const { model, bytes } = cases.get("poisson") as Case;
  const parsed = parseTreeEnsembleOnnx(bytes);
  expect(parsed.featureNames).toEqual(Array.from({ length: P }, (_, f) => `x${f}`));
  expect(parsed.layoutVersion).toBe("synthetic-v1");
  expect(parsed.featureCount).toBe(P);
  expect(parsed.transform).toBe("exp");
  expect(parsed.roots.length).toBe(model.trees.length);
  expect(parsed.baseValue).toBe(model.baseScore);
  expect(parsed.metadata.loss).toBe("poisson");
  expect(parsed.metadata.model_id).toBe("test-poisson");
  expect(Number(parsed.metadata.base_score)).toBe(model.baseScore);
  expect(parsed.metadata.created_by).toContain("purchase-prediction");
  expect(parseTreeEnsembleOnnx((cases.get("logistic") as Case).bytes).transform).toBe("sigmoid");
  expect(parseTreeEnsembleOnnx((cases.get("squared") as Case).bytes).transform).toBe("identity");
});

test("export refuses wrong feature names and reserved metadata; parse refuses garbage", () => {
  const { model } = cases.get("gamma") as Case;
  const names = Array.from({ length: P }, (_, f) => `x${f}`);
  expect(() => exportGbdtToOnnx(model, { featureNames: ["a"], layoutVersion: "v" })).toThrow(
    /featureNames/,
  );
  expect(() =>
    exportGbdtToOnnx(model, { featureNames: names, layoutVersion: "v", metadata: { loss: "x" } }),
  ).toThrow(/metadata.loss/);
  expect(() => parseTreeEnsembleOnnx(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/onnx/);
});

test("the evaluator rejects a batch of the wrong width", () => {
  const parsed = parseTreeEnsembleOnnx((cases.get("squared") as Case).bytes);
  expect(() => evaluateTreeEnsemble(parsed, new Float32Array(P + 1), 2)).toThrow(/X: length/);
});

test("single-leaf trees (nothing to split on) export and score alike", async () => {
  const X = new Float32Array(200 * 2).fill(1);
  const y = Float64Array.from({ length: 200 }, (_, i) => i % 3);
  const model = trainGbdt(X, y, { loss: "poisson", nEstimators: 3, earlyStoppingRounds: 0 });
  for (const tree of model.trees) expect(tree.feature).toEqual([-1]);
  const bytes = exportGbdtToOnnx(model, { featureNames: ["a", "b"], layoutVersion: "1" });
  const session = await createOrtTreeEnsembleSession(bytes, 2);
  const ort = await session.run(X, 200);
  const ts = predictGbdt(model, X);
  expectClose("poisson", ort.prediction, ts);
  expect(ts[0]).toBeCloseTo(0.995, 6);
  await session.release();
});
