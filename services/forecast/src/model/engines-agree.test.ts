// The two GBDT engines (onnxruntime-web and the TypeScript evaluator, used by the lite Workers
// build) give the same predictions on every customer of the bundle, for each of the three models.
import { beforeAll, expect, test } from "bun:test";
import { BUNDLE_FILES } from "@pp/ml/bundle/model-bundle.ts";
import { FEATURE_COUNT } from "@pp/ml/features/feature-vector.ts";
import { createOrtTreeEnsembleSession } from "@pp/ml/onnx/ort-session.ts";
import { parseTreeEnsembleOnnx } from "@pp/ml/onnx/parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "@pp/ml/onnx/tree-ensemble-evaluator.ts";
import { type DemoBundle, trainDemoBundle } from "../testing/demo-bundle.ts";
import { CUSTOMER_FEATURES_FILE } from "./exported-bundle.ts";
import { ortEngine } from "./ort-engine.ts";
import { typescriptEngine } from "./typescript-engine.ts";

let demo: DemoBundle;
beforeAll(async () => {
  demo = await trainDemoBundle({ customers: 1500, seed: 3 });
}, 60_000);

for (const file of [BUNDLE_FILES.gbdtCount, BUNDLE_FILES.gbdtPurchase, BUNDLE_FILES.gbdtSpend]) {
  test(`${file}: onnxruntime-web and the TypeScript evaluator agree on every customer`, async () => {
    const bytes = demo.files.get(file) as Uint8Array;
    const raw = demo.files.get(CUSTOMER_FEATURES_FILE) as Uint8Array;
    const X = new Float32Array(raw.slice().buffer);
    const n = X.length / FEATURE_COUNT;
    expect(n).toBe(demo.raw.customerRows.length);
    const session = await createOrtTreeEnsembleSession(bytes, FEATURE_COUNT);
    const ort = await session.run(X, n);
    const evaluated = evaluateTreeEnsemble(parseTreeEnsembleOnnx(bytes), X, n);
    // The trees: identical float32 margins on every customer.
    expect(Array.from(evaluated.margin)).toEqual(Array.from(ort.margin));
    // The link: ORT's float32 sigmoid is an approximation (~2e-6); exp and identity agree closer.
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const a = ort.prediction[i] ?? Number.NaN;
      const b = evaluated.prediction[i] ?? Number.NaN;
      worst = Math.max(worst, Math.abs(a - b) / Math.max(1e-30, Math.abs(a)));
    }
    expect(worst).toBeLessThanOrEqual(file === BUNDLE_FILES.gbdtPurchase ? 1e-5 : 2 ** -22);
    // The engines the service uses give exactly those predictions.
    const viaTs = await typescriptEngine.createScorer(bytes, FEATURE_COUNT);
    expect(Array.from(await viaTs.predict(X, n))).toEqual(Array.from(evaluated.prediction));
    const viaOrt = await ortEngine.createScorer(bytes, FEATURE_COUNT);
    expect(Array.from(await viaOrt.predict(X, n))).toEqual(Array.from(ort.prediction));
    await viaOrt.release();
    await session.release();
  });
}
