// How the gradient-boosted models are scored: an engine turns ONNX bytes into a scorer. Two
// engines exist (onnxruntime-web and the TypeScript evaluator); entries pick one, so a Workers
// build that must stay small never imports onnxruntime-web.

import type { GbdtScorer } from "@pp/ml/forecasting/forecast-inputs.ts";

export type { GbdtScorer };

export interface GbdtEngine {
  readonly name: "onnxruntime-web" | "typescript";
  /** Library version (onnxruntime-web's) or the evaluator's. */
  readonly version: string;
  /** e.g. "wasm (1 thread)". */
  readonly backend: string;
  createScorer(onnxBytes: Uint8Array, featureCount: number): Promise<GbdtScorer>;
}
