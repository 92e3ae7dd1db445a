// Test worker for workerd: parses the ONNX model bound as MODEL with the dependency-free parser,
// scores the float32 batch bound as X, and fails unless the margins equal EXPECTED bit for bit.

import { parseTreeEnsembleOnnx } from "../onnx/parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "../onnx/tree-ensemble-evaluator.ts";

interface Env {
  MODEL: ArrayBuffer;
  X: ArrayBuffer;
  EXPECTED: ArrayBuffer;
}

export default {
  async test(_controller: unknown, env: Env): Promise<void> {
    const parsed = parseTreeEnsembleOnnx(new Uint8Array(env.MODEL));
    const X = new Float32Array(env.X);
    const expected = new Float32Array(env.EXPECTED);
    const { margin } = evaluateTreeEnsemble(parsed, X);
    if (margin.length !== expected.length) {
      throw new Error(`scored ${margin.length} rows, expected ${expected.length}`);
    }
    for (let i = 0; i < margin.length; i++) {
      if (margin[i] !== expected[i]) throw new Error(`row ${i}: ${margin[i]} != ${expected[i]}`);
    }
    console.log(`workerd evaluator: ${margin.length} rows equal`);
  },
};
