// The onnxruntime-web engine: one WASM session per ONNX model (created once per model load).
import { createOrtTreeEnsembleSession } from "@pp/ml/onnx/ort-session.ts";
import * as ort from "onnxruntime-web";
import type { GbdtEngine } from "./gbdt-engine.ts";

export const ortEngine: GbdtEngine = {
  name: "onnxruntime-web",
  version: ort.env.versions?.web ?? "unknown",
  backend: "wasm (1 thread)",
  async createScorer(bytes, featureCount) {
    const session = await createOrtTreeEnsembleSession(bytes, featureCount);
    return {
      async predict(X, n) {
        return (await session.run(X, n)).prediction;
      },
      release: () => session.release(),
    };
  },
};
