// A thin onnxruntime-web session for the exported tree ensembles: created from bytes with one
// WASM thread (the sensible choice on small machines and the only one on workerd), run on a
// float32 batch. Runtime-neutral: on Node "onnxruntime-web" resolves to its Node build.

import * as ort from "onnxruntime-web";
import { GBDT_ONNX_INPUT, GBDT_ONNX_MARGIN, GBDT_ONNX_PREDICTION } from "./export-tree-ensemble.ts";

export interface OrtTreeEnsembleSession {
  readonly featureCount: number;
  /** Scores n rows of row-major X (n × featureCount). */
  run(X: Float32Array, n?: number): Promise<{ prediction: Float32Array; margin: Float32Array }>;
  release(): Promise<void>;
}

/** The number of rows to score (n, else all of X); throws when X cannot hold them. */
export function rowsIn(X: Float32Array, n: number | undefined, featureCount: number): number {
  const rows = n ?? X.length / featureCount;
  if (!Number.isInteger(rows) || rows < 1 || X.length < rows * featureCount) {
    throw new RangeError(
      `X: length ${X.length} does not hold ${rows} rows of ${featureCount} features`,
    );
  }
  return rows;
}

/** Creates a session from ONNX bytes; featureCount is the width of the input. */
export async function createOrtTreeEnsembleSession(
  bytes: Uint8Array,
  featureCount: number,
): Promise<OrtTreeEnsembleSession> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  return {
    featureCount,
    async run(X, n) {
      const rows = rowsIn(X, n, featureCount);
      const data = X.length === rows * featureCount ? X : X.subarray(0, rows * featureCount);
      const input = new ort.Tensor("float32", data, [rows, featureCount]);
      const out = await session.run({ [GBDT_ONNX_INPUT]: input });
      const prediction = out[GBDT_ONNX_PREDICTION]!.data as Float32Array;
      const margin = out[GBDT_ONNX_MARGIN]!.data as Float32Array;
      return { prediction, margin };
    },
    release: () => session.release(),
  };
}
