// Benchmark of the GBDT learner and its scorers: training time on 2,357 and 1,000,000 synthetic
// customers (20 features with a known signal, 100 trees of depth 6), then scoring throughput at
// batch 1 and batch 10,000 for onnxruntime-web, the TypeScript ONNX evaluator and predictGbdt.
// Usage: bun bench/gbdt.ts [--large N]   (N defaults to 1,000,000)

import { loadavg } from "node:os";
import type { GbdtModel } from "../ml/gbdt/gbdt-model.ts";
import { predictGbdt } from "../ml/gbdt/predict.ts";
import { makeSyntheticGbdtData } from "../ml/gbdt/synthetic-gbdt-data.ts";
import { trainGbdt } from "../ml/gbdt/train-gbdt.ts";
import { exportGbdtToOnnx } from "../ml/onnx/export-tree-ensemble.ts";
import { createOrtScoringSession } from "../ml/onnx/ort-scoring-session.ts";
import { createOrtTreeEnsembleSession } from "../ml/onnx/ort-session.ts";
import { parseTreeEnsembleOnnx } from "../ml/onnx/parse-tree-ensemble.ts";
import {
  evaluateTreeEnsemble,
  walkTreeEnsembleMargins,
} from "../ml/onnx/tree-ensemble-evaluator.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const results = benchResults("gbdt");

const FEATURES = 20;
const largeArg = process.argv.indexOf("--large");
const LARGE = largeArg > 0 ? Number(process.argv[largeArg + 1]) : 1_000_000;
const TRAIN = {
  loss: "poisson" as const,
  nEstimators: 100,
  maxDepth: 6,
  maxLeaves: 64,
  learningRate: 0.1,
  earlyStoppingRounds: 0,
  seed: 7,
};

const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function timeTraining(n: number): GbdtModel {
  const d = makeSyntheticGbdtData(n, FEATURES, "poisson", 1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const model = trainGbdt(d.X, d.y, TRAIN);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  results.add(`GBDT train, ${fmt(n)} customers, ${TRAIN.nEstimators} trees`, wall, "s");
  console.log(
    `train  ${fmt(n).padStart(9)} customers × ${FEATURES} features, ${model.trees.length} trees depth ${TRAIN.maxDepth}: ` +
      `${fmt(wall, 2)} s wall, ${fmt((cpu.user + cpu.system) / 1e6, 2)} s CPU`,
  );
  return model;
}

/** Customers per second, median of `repeats` timed runs of `fn` scoring `rowsPerCall` rows each `calls` times. */
async function throughput(
  fn: (offset: number) => unknown | Promise<unknown>,
  rowsPerCall: number,
  calls: number,
  repeats = 5,
): Promise<number> {
  // Warm up the JIT and ORT's glue before timing.
  for (let i = 0; i < Math.min(calls, 500); i++) await fn(i);
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn(i);
    rates.push((rowsPerCall * calls) / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? Number.NaN;
}

console.log(
  `bench:gbdt  ${navigator.userAgent}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} (a busy machine slows every figure)`,
);
timeTraining(2357);
const model = timeTraining(LARGE);

const names = Array.from({ length: FEATURES }, (_, f) => `x${f}`);
const bytes = exportGbdtToOnnx(model, { featureNames: names, layoutVersion: "bench" });
const session = await createOrtTreeEnsembleSession(bytes, FEATURES);
const scoringSession = await createOrtScoringSession(bytes, FEATURES);
const parsed = parseTreeEnsembleOnnx(bytes);
const scoring = makeSyntheticGbdtData(10_000, FEATURES, "poisson", 2);
const X = scoring.X;
const row = (i: number) => X.subarray((i % 10_000) * FEATURES, ((i % 10_000) + 1) * FEATURES);
console.log(`score  model: ${model.trees.length} trees, ONNX ${fmt(bytes.length / 1024)} KiB`);

const scorers: [string, (batch: Float32Array, n: number) => unknown][] = [
  ["onnxruntime-web (wasm, 1 thread)", (b, n) => session.run(b, n)],
  ["TS ONNX evaluator", (b, n) => evaluateTreeEnsemble(parsed, b, n)],
  ["engines' session (TS trees, ORT link)", (b, n) => scoringSession.run(b, n)],
  ["TS ONNX node walk (margins)", (b, n) => walkTreeEnsembleMargins(parsed, b, n)],
  ["TS predictGbdt", (b, n) => predictGbdt(model, b, n)],
];
console.log(
  `score  ${"scorer".padEnd(40)} ${"batch 1".padStart(14)} ${"batch 10,000".padStart(14)}`,
);
for (const [name, score] of scorers) {
  const one = await throughput((i) => score(row(i), 1), 1, 2000, 7);
  const big = await throughput(() => score(X, 10_000), 10_000, 3);
  console.log(
    `score  ${name.padEnd(40)} ${fmt(one).padStart(14)} ${fmt(big).padStart(14)}  customers/s`,
  );
  results.add(`score ${name}, batch 1`, Math.round(one), "customers/s");
  results.add(`score ${name}, batch 10,000`, Math.round(big), "customers/s");
}
await session.release();
await scoringSession.release();
