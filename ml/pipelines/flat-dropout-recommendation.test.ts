// A converged BG/NBD or Pareto/NBD fit whose dropout parameter is "not identified" (an infinite
// standard error: the log says little about dropout) is a note, and the model can be recommended,
// as a shape held at its limit is. Flagged, both were excluded on a low-churn log while the blend
// built on them (deviance 1.8773) was recommended over Pareto/NBD (1.8755), the holdout's best.
import { expect, test } from "bun:test";
import { summarize } from "../features/summaries.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { FitResult } from "../models/types.ts";
import { purchaseModelDiagnosis } from "./fit-warnings.ts";
import { simulatePopulation } from "./simulate.ts";
import { trainModels } from "./train-models.ts";

test("low churn (5,000 simulated customers, a = 0.2, b = 60): the model with the best holdout deviance is recommended, its flat dropout parameter a note", async () => {
  const population = simulatePopulation({
    model: "bgnbd",
    customers: 5_000,
    seed: 13,
    params: { r: 0.5, alpha: 5, a: 0.2, b: 60 },
  });
  const summaries = summarize(population.log, {
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
  });
  const trained = await trainModels(
    { log: population.log, summaries, source: "sim", format: "simulated" },
    { fast: true, workers: 1, seed: 42 },
  );
  const { models, comparison, notes } = trained.metrics;
  const deviance: Record<string, number | null | undefined> = {
    bgnbd: models.bgnbd.holdout?.poisson_deviance,
    pareto_nbd: models.pareto_nbd.holdout?.poisson_deviance,
    blend: models.blend?.holdout.poisson_deviance,
    gbdt: models.gbdt_count?.holdout.poisson_deviance,
  };
  const best = Math.min(...Object.values(deviance).filter((v): v is number => v != null));
  expect({
    recommended: comparison.recommended,
    deviance: deviance[comparison.recommended],
  }).toEqual({
    recommended: "pareto_nbd",
    deviance: best,
  });
  expect(models.bgnbd.warnings).toEqual([]);
  expect(models.pareto_nbd.warnings).toEqual([]);
  expect(notes).toContain(
    "BG/NBD: b has an infinite standard error (the likelihood is next to flat in it: the log says little about dropout); it is held where the fit left it for the intervals, the fit converged, and its forecasts are scored on the holdout like any model's",
  );
  expect(notes.filter((n) => n.startsWith("WARNING") && /not identified/.test(n))).toEqual([]);
}, 180_000);

const fit = (converged: boolean): FitResult<BgNbdParams> => ({
  params: { r: 0.52, alpha: 5.28, a: 0.0103, b: 1.16 },
  logLikelihood: -46_137.76,
  converged,
  stopped: null,
  iterations: 40,
  evaluations: 120,
  starts: 3,
  startsAgreeing: 3,
  gradientNorm: converged ? 1e-7 : 0.5,
  customers: 5_000,
  rows: 5_000,
  seconds: 0.3,
});

test("only a converged fit's flat dropout parameters are notes; a flat r or alpha, or an unconverged fit's, stays a warning", () => {
  const inf = Number.POSITIVE_INFINITY;
  const dropout = purchaseModelDiagnosis(
    "BG/NBD",
    fit(true),
    { r: 0.01, alpha: 0.1, a: 0.002, b: inf },
    ["a", "b"],
  );
  expect(dropout.warnings).toEqual([]);
  expect(dropout.notes).toHaveLength(1);
  const purchase = purchaseModelDiagnosis(
    "BG/NBD",
    fit(true),
    { r: inf, alpha: 0.1, a: 0.002, b: inf },
    ["a", "b"],
  );
  expect(purchase.warnings).toEqual([
    "BG/NBD: parameter r has an infinite standard error (flat likelihood): not identified",
  ]);
  const unconverged = purchaseModelDiagnosis(
    "BG/NBD",
    fit(false),
    { r: 0.01, alpha: 0.1, a: 0.002, b: inf },
    ["a", "b"],
  );
  expect(unconverged.notes).toEqual([]);
  expect(unconverged.warnings).toContain(
    "BG/NBD: parameter b has an infinite standard error (flat likelihood): not identified",
  );
});
