// The TypeScript evaluator and the dependency-free parser run on workerd (the Workers runtime)
// and give the margins onnxruntime-web gives under Bun, bit for bit.

import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { trainGbdt } from "../gbdt/train-gbdt.ts";
import { exportGbdtToOnnx } from "./export-tree-ensemble.ts";
import { createOrtTreeEnsembleSession } from "./ort-session.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const entry = fileURLToPath(new URL("../testing/evaluate-in-worker.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pp-workerd-evaluator-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

test("the evaluator bundle is small and equals onnxruntime-web on workerd", async () => {
  const d = makeSyntheticGbdtData(2000, 6, "gamma", 41);
  const model = trainGbdt(d.X, d.y, { loss: "gamma", nEstimators: 80 });
  const bytes = exportGbdtToOnnx(model, { featureNames: d.featureNames, layoutVersion: "w" });
  const session = await createOrtTreeEnsembleSession(bytes, d.p);
  const { margin } = await session.run(d.X);
  await session.release();

  const built = await Bun.build({ entrypoints: [entry], target: "browser", format: "esm" });
  expect(built.success).toBe(true);
  const code = await built.outputs[0]!.text();
  // Small enough for any Worker: no protobuf library, no onnxruntime.
  expect(code.length).toBeLessThan(40_000);
  writeFileSync(join(dir, "worker.js"), code);
  writeFileSync(join(dir, "model.onnx"), bytes);
  writeFileSync(join(dir, "x.f32"), bytesOf(d.X));
  writeFileSync(join(dir, "expected.f32"), bytesOf(margin));
  const config = join(dir, "test.capnp");
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "main", worker = .worker)]);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2024-09-23",
  bindings = [
    (name = "MODEL", data = embed "model.onnx"),
    (name = "X", data = embed "x.f32"),
    (name = "EXPECTED", data = embed "expected.f32"),
  ],
);
`,
  );
  const run = spawnSync(join(repoRoot, "node_modules", ".bin", "workerd"), ["test", config], {
    encoding: "utf8",
    timeout: 100_000,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) throw new Error(`workerd test failed (${run.status}): ${output}`);
  expect(output).toContain("workerd evaluator: 2000 rows equal");
}, 120_000);
