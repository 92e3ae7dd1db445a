// The onnxruntime-web engine: one scoring session per ONNX model (created once per model load),
// whose answers are onnxruntime-web's to the bit: its trees are walked in TypeScript to ORT's
// float32 margins and its link runs in ORT's WASM kernel (ml/onnx/ort-scoring-session.ts).
import { createOrtScoringSession } from "@pp/ml/onnx/ort-scoring-session.ts";
import * as ort from "onnxruntime-web";
import type { GbdtEngine } from "./gbdt-engine.ts";

export const ortEngine: GbdtEngine = {
  name: "onnxruntime-web",
  version: ort.env.versions?.web ?? "unknown",
  backend: "wasm (1 thread) + TypeScript tree walk",
  async createScorer(bytes, featureCount) {
    const session = await createOrtScoringSession(bytes, featureCount);
    return {
      async predict(X, n) {
        return (await session.run(X, n)).prediction;
      },
      release: () => session.release(),
    };
  },
};
