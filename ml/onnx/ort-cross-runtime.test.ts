// The exported ONNX scored by onnxruntime-web under Node (tsx) and Deno, the runtimes the
// forecast service also runs on, gives the same outputs as under Bun and as predictGbdt.

import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { predictGbdt } from "../gbdt/predict.ts";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { trainGbdt } from "../gbdt/train-gbdt.ts";
import { exportGbdtToOnnx } from "./export-tree-ensemble.ts";
import { createOrtTreeEnsembleSession } from "./ort-session.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const script = fileURLToPath(new URL("../testing/score-with-ort.ts", import.meta.url));
const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

const d = makeSyntheticGbdtData(2000, 6, "poisson", 31);
const model = trainGbdt(d.X, d.y, { loss: "poisson", nEstimators: 60 });
const bytes = exportGbdtToOnnx(model, { featureNames: d.featureNames, layoutVersion: "x-rt" });
const dir = mkdtempSync(join(tmpdir(), "pp-ort-runtime-"));
const modelPath = join(dir, "model.onnx");
const xPath = join(dir, "x.f32");
writeFileSync(modelPath, bytes);
writeFileSync(xPath, new Uint8Array(d.X.buffer, d.X.byteOffset, d.X.byteLength));

const runtimes: [string, [string, ...string[]]][] = [
  ["node", ["node", "--import", "tsx", script]],
  ["deno", [bin("deno"), "run", "--allow-read", "--allow-env", "--allow-net", script]],
];

for (const [name, argv] of runtimes) {
  test(`onnxruntime-web under ${name} equals Bun's session and predictGbdt`, async () => {
    const run = spawnSync(argv[0], [...argv.slice(1), modelPath, xPath, String(d.p)], {
      cwd: repoRoot,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 100_000,
    });
    if (run.status !== 0) throw new Error(`${name} failed (${run.status}): ${run.stderr}`);
    const out = JSON.parse(run.stdout) as { prediction: number[]; margin: number[] };
    const session = await createOrtTreeEnsembleSession(bytes, d.p);
    const bun = await session.run(d.X);
    await session.release();
    expect(out.margin).toEqual(Array.from(bun.margin));
    expect(out.prediction).toEqual(Array.from(bun.prediction));
    const ts = predictGbdt(model, d.X);
    for (let i = 0; i < d.n; i++) {
      expect(Math.abs(out.prediction[i]! - ts[i]!) / ts[i]!).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));
