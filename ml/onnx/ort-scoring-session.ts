// The session the engines score exported GBDTs with: the trees walked in TypeScript
// (tree-ensemble-evaluator.ts, which sums leaf weights in float32 in ORT's order, so its margins
// are onnxruntime's to the bit) and the link (Exp, Sigmoid) run by onnxruntime-web's own kernel,
// so the predictions are ORT's to the bit too. This session scored about 2× the rows per second of
// onnxruntime-web's TreeEnsemble kernel in WASM, 3.5× on single rows (bench:gbdt); ORT's Exp and Sigmoid are not
// `Math.exp` rounded to float32 (they differed for ~10% of margins), hence the one-op link model.

import * as ort from "onnxruntime-web";
import { exportLinkOnnx, GBDT_ONNX_MARGIN, GBDT_ONNX_PREDICTION } from "./export-tree-ensemble.ts";
import { type OrtTreeEnsembleSession, rowsIn } from "./ort-session.ts";
import { parseTreeEnsembleFor } from "./parse-tree-ensemble.ts";
import { evaluateTreeEnsembleMargins } from "./tree-ensemble-evaluator.ts";

type Link = (margin: Float32Array, rows: number) => Promise<Float32Array>;

/** ORT's link for the model's transform; identity needs no session (the margin is the answer). */
async function linkFor(transform: "identity" | "exp" | "sigmoid"): Promise<{
  apply: Link;
  release(): Promise<void>;
}> {
  if (transform === "identity") {
    return { apply: async (margin) => margin.slice(), release: async () => {} };
  }
  ort.env.wasm.numThreads = 1;
  const bytes = exportLinkOnnx(transform === "exp" ? "Exp" : "Sigmoid");
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  return {
    async apply(margin, rows) {
      const input = new ort.Tensor("float32", margin, [rows, 1]);
      const out = await session.run({ [GBDT_ONNX_MARGIN]: input });
      return out[GBDT_ONNX_PREDICTION]!.data as Float32Array;
    },
    release: () => session.release(),
  };
}

/** A scoring session for exported ONNX bytes (same contract as createOrtTreeEnsembleSession). */
export async function createOrtScoringSession(
  bytes: Uint8Array,
  featureCount: number,
): Promise<OrtTreeEnsembleSession> {
  const ensemble = parseTreeEnsembleFor(bytes, featureCount);
  const link = await linkFor(ensemble.transform);
  return {
    featureCount,
    async run(X, n) {
      const rows = rowsIn(X, n, featureCount);
      const margin = evaluateTreeEnsembleMargins(ensemble, X, rows);
      return { prediction: await link.apply(margin, rows), margin };
    },
    release: () => link.release(),
  };
}
