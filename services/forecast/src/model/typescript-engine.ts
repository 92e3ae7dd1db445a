// The TypeScript engine: the same ONNX tree ensemble parsed into typed arrays and evaluated the
// way onnxruntime's CPU kernel does (float32 sums), with no WASM: for the small Workers build.
import { parseTreeEnsembleFor } from "@pp/ml/onnx/parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "@pp/ml/onnx/tree-ensemble-evaluator.ts";
import type { GbdtEngine } from "./gbdt-engine.ts";

export const typescriptEngine: GbdtEngine = {
  name: "typescript",
  version: "1",
  backend: "typescript tree-ensemble evaluator",
  async createScorer(bytes, featureCount) {
    const ensemble = parseTreeEnsembleFor(bytes, featureCount);
    return {
      predict: async (X, n) => evaluateTreeEnsemble(ensemble, X, n).prediction,
      release: async () => {},
    };
  },
};
