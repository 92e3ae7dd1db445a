// The recommended model is one the production bundle serves, and every output says the same one:
// model.json, metrics.json (comparison, evaluation), the registry's unprefixed metrics (/model-info)
// and the CLI's lines. On 30 simulated customers the blend (built on a GBDT with AUC 0.26) won the
// holdout at deviance 1.806 and was "recommended: blend", while the bundle had no GBDT (fewer
// customers than the production step trains one for) and /forecast answered pareto_nbd.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseManifest } from "../bundle/model-bundle.ts";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { trainSimulatedDemo } from "./demo-model.ts";
import { MIN_GBDT_CUSTOMERS } from "./gbdt-cross-validation.ts";
import { servedModels, trainProduction } from "./production-step.ts";
import { registryMetrics } from "./register-bundle.ts";
import { runSimulate } from "./simulate.ts";
import { runTrainPipeline } from "./train.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-served-rec-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("30 customers: GBDT and blend are not candidates, every output names the served BTYD model, and a warning says the evaluation rests on 30 customers", async () => {
  const csv = join(dir, "tiny30.csv");
  await runSimulate({ model: "bgnbd", customers: 30, seed: 15, out: csv });
  const out = join(dir, "tiny30");
  const lines: string[] = [];
  const result = await runTrainPipeline({
    data: csv,
    format: "csv",
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
    out,
    fast: true,
    workers: 1,
    print: (line) => lines.push(line),
  });
  const manifest = parseManifest(await readFile(join(out, "model.json"), "utf8"));
  const metrics = TrainingMetricsSchema.parse(
    JSON.parse(await readFile(join(out, "metrics.json"), "utf8")),
  );
  expect(manifest.gbdt.count).toBe(false);
  expect(manifest.blend).toBeNull();
  const recommended = manifest.recommended as "bgnbd" | "pareto_nbd";
  expect(["bgnbd", "pareto_nbd"]).toContain(recommended);
  expect(metrics.comparison.recommended).toBe(recommended);
  expect(metrics.evaluation?.recommended).toBe(recommended);
  expect(result.served.recommended).toBe(recommended);
  // The best of the served models on the holdout.
  const deviance = (m: "bgnbd" | "pareto_nbd") => metrics.models[m].holdout?.poisson_deviance;
  const other = recommended === "bgnbd" ? "pareto_nbd" : "bgnbd";
  expect(deviance(recommended) as number).toBeLessThanOrEqual(deviance(other) as number);
  expect(metrics.evaluation?.recommended_poisson_deviance).toBe(deviance(recommended) as number);
  // /model-info's unprefixed metrics are the recommended model's.
  expect(registryMetrics(result.served).poisson_deviance).toBe(deviance(recommended) as number);
  // The blend did score best: said, with why it is not recommended, and how thin the evaluation is.
  const notes = metrics.comparison.notes.join("\n");
  expect(notes).toContain(
    `WARNING: the holdout evaluation rests on 30 customers and 32 holdout purchase days: its scores, and the model they recommend, are noisy`,
  );
  expect(notes).toContain(`fewer than ${MIN_GBDT_CUSTOMERS} customers`);
  expect(notes).toMatch(/blend scored best on the holdout \(Poisson deviance 1\.80\d+\)/);
}, 120_000);

test("a production bundle without a GBDT never keeps gbdt or blend as its recommendation", async () => {
  // An evaluation with a GBDT and a blend, served by a production step that trained no GBDT (its
  // window held too few customers): the recommendation moves to the better served BTYD model.
  const { log, trained } = await trainSimulatedDemo({
    customers: 300,
    seed: 4,
    source: "sim",
    workers: 1,
  });
  const production = await trainProduction(log, trained, { fast: true });
  const evaluation = {
    ...trained,
    recommended: "blend" as const,
    metrics: {
      ...trained.metrics,
      comparison: { ...trained.metrics.comparison, recommended: "blend" as const },
    },
  };
  const served = servedModels(evaluation, {
    ...production,
    gbdt: null,
    metrics: {
      ...production.metrics,
      notes: ["only 40 customers by 1997-09-02: the production bundle has no GBDT"],
    },
  });
  const m = trained.metrics.models;
  const bg = m.bgnbd.holdout?.poisson_deviance as number;
  const pn = m.pareto_nbd.holdout?.poisson_deviance as number;
  const best = pn < bg ? "pareto_nbd" : "bgnbd";
  expect(served.recommended).toBe(best);
  expect(served.metrics.comparison.recommended).toBe(best);
  expect(served.metrics.evaluation.recommended).toBe(best);
  expect(served.metrics.evaluation.recommended_poisson_deviance).toBe(Math.min(bg, pn));
  expect(served.report.notes).toContain(`recommended model (best served): ${best}`);
  expect(served.report.notes.join("\n")).not.toContain("best out-of-fold Poisson deviance): blend");
  expect(served.metrics.comparison.notes).toContain(
    `blend scored best on the holdout (Poisson deviance ${(m.blend as { holdout: { poisson_deviance: number } }).holdout.poisson_deviance.toFixed(4)}) but the production bundle has no GBDT: recommended ${best} (${Math.min(bg, pn).toFixed(4)}), the best of the models it serves`,
  );
}, 120_000);
