// Test helper run under Node (tsx) and Deno: scores a float32 batch file with an ONNX model file
// through ort-session.ts and prints the predictions and margins as JSON on stdout.
// Usage: score-with-ort.ts MODEL.onnx X.f32 FEATURE_COUNT

import { readFileSync } from "node:fs";
import { createOrtTreeEnsembleSession } from "../onnx/ort-session.ts";

const [modelPath, xPath, width] = process.argv.slice(2);
if (!modelPath || !xPath || !width)
  throw new Error("usage: score-with-ort.ts MODEL.onnx X.f32 FEATURE_COUNT");
const bytes = new Uint8Array(readFileSync(modelPath));
const raw = readFileSync(xPath);
const X = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const session = await createOrtTreeEnsembleSession(bytes, Number(width));
const out = await session.run(X);
process.stdout.write(
  JSON.stringify({ prediction: Array.from(out.prediction), margin: Array.from(out.margin) }),
);
