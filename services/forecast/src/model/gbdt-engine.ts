// How the gradient-boosted models are scored: an engine turns ONNX bytes into a scorer. Two
// engines exist (onnxruntime-web and the TypeScript evaluator); entries pick one, so a Workers
// build that must stay small never imports onnxruntime-web.

export interface GbdtScorer {
  /** Predictions (after the model's link function) for n rows of row-major float32 X. */
  predict(X: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface GbdtEngine {
  readonly name: "onnxruntime-web" | "typescript";
  /** Library version (onnxruntime-web's) or the evaluator's. */
  readonly version: string;
  /** e.g. "wasm (1 thread)". */
  readonly backend: string;
  createScorer(onnxBytes: Uint8Array, featureCount: number): Promise<GbdtScorer>;
}
