// The scoring session (trees walked in TypeScript, link in ORT) answers exactly what a plain
// onnxruntime-web session of the whole model answers: margins and predictions compared bit for bit
// (Object.is) on rows of every kind, for each loss, in batches of 1 to 4,096 rows.

import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GbdtLoss } from "../gbdt/gbdt-model.ts";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { trainGbdt } from "../gbdt/train-gbdt.ts";
import { createSeededRandom } from "../random/seeded-random.ts";
import { exportGbdtToOnnx } from "./export-tree-ensemble.ts";
import { createOrtScoringSession } from "./ort-scoring-session.ts";
import { createOrtTreeEnsembleSession } from "./ort-session.ts";

setDefaultTimeout(60_000);

const LOSSES: GbdtLoss[] = ["poisson", "logistic", "gamma", "squared"];
const P = 5;
const models = new Map<GbdtLoss, Uint8Array>();

beforeAll(() => {
  for (const loss of LOSSES) {
    const d = makeSyntheticGbdtData(3000, P, loss, 31);
    const model = trainGbdt(d.X, d.y, { loss, nEstimators: 150, rowSubsample: 0.8 });
    models.set(loss, exportGbdtToOnnx(model, { featureNames: d.featureNames, layoutVersion: "t" }));
  }
});

/** Rows mixing ordinary values with NaN, ±Infinity, ±0, float32 extremes and subnormals. */
function hostileRows(rows: number, random: () => number): Float32Array {
  const odd = [Number.NaN, Infinity, -Infinity, 0, -0, 3.4e38, -3.4e38, 1e-45, 1e308];
  const X = new Float32Array(rows * P);
  for (let i = 0; i < X.length; i++) {
    const u = random();
    if (u < 0.08) X[i] = odd[Math.floor(random() * odd.length)]!;
    else if (u < 0.5) X[i] = (random() - 0.3) * 40;
    else X[i] = random() * 3;
  }
  return X;
}

for (const loss of LOSSES) {
  test(`${loss}: the scoring session equals a plain onnxruntime-web session to the bit`, async () => {
    const bytes = models.get(loss) as Uint8Array;
    const plain = await createOrtTreeEnsembleSession(bytes, P);
    const scoring = await createOrtScoringSession(bytes, P);
    const random = createSeededRandom(7);
    let compared = 0;
    for (const rows of [1, 2, 7, 100, 1000, 4096, 1, 333]) {
      const X = hostileRows(rows, random);
      const want = await plain.run(X, rows);
      const got = await scoring.run(X, rows);
      expect(got.margin.length).toBe(rows);
      expect(got.prediction.length).toBe(rows);
      for (let i = 0; i < rows; i++) {
        if (!Object.is(got.margin[i], want.margin[i])) {
          throw new Error(`row ${i} of ${rows}: margin ${got.margin[i]} vs ORT ${want.margin[i]}`);
        }
        if (!Object.is(got.prediction[i], want.prediction[i])) {
          throw new Error(
            `row ${i} of ${rows}: prediction ${got.prediction[i]} vs ORT ${want.prediction[i]}`,
          );
        }
      }
      compared += rows;
    }
    expect(compared).toBe(5540);
    await plain.release();
    await scoring.release();
  });
}

test("the scoring session refuses a model of another width and a short input", async () => {
  const bytes = models.get("poisson") as Uint8Array;
  await expect(createOrtScoringSession(bytes, P + 1)).rejects.toThrow(/reads 5 features/);
  const scoring = await createOrtScoringSession(bytes, P);
  await expect(scoring.run(new Float32Array(P * 2 - 1), 2)).rejects.toThrow(/does not hold 2 rows/);
  await scoring.release();
});
