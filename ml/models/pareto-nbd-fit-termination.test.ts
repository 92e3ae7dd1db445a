// The Pareto/NBD fit always ends: on small simulated logs whose likelihood keeps rising towards
// s, beta → ∞ (two that used to run for hours), within its evaluation/time budget, and on random
// small populations. Each test has a timeout that fails it if a fit hangs again.
import { expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { summarize } from "../features/summaries.ts";
import { trainSimulatedDemo } from "../pipelines/demo-model.ts";
import { fitWarning, shapeLimitNote } from "../pipelines/fit-btyd-models.ts";
import { loadTrainingData } from "../pipelines/load-training-data.ts";
import { runSimulate, simulatePopulation } from "../pipelines/simulate.ts";
import { fitParetoNbd, type ParetoNbdParams } from "./pareto-nbd.ts";
import type { FitResult } from "./types.ts";

/** The demo recipe's summaries (trainSimulatedDemo): a BG/NBD population in weeks. */
function demoSummaries(customers: number, seed: number, model: "bgnbd" | "pareto" = "bgnbd") {
  const population = simulatePopulation({ model, customers, seed, timeUnit: "week" });
  const window = population.exact.options;
  return summarize(population.log, {
    calibrationEnd: window.calibrationEnd,
    ...(window.holdoutEnd ? { holdoutEnd: window.holdoutEnd } : {}),
    timeUnit: "week",
  });
}

function expectUsableFit(fit: FitResult<ParetoNbdParams>): void {
  for (const v of Object.values(fit.params)) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  }
  expect(Number.isFinite(fit.logLikelihood)).toBe(true);
  // A budget or the domain's edge stopping the fit means it did not converge (the training
  // warns about every fit that did not converge, see fitWarning); a shape held at its limit
  // does not by itself: the others may have converged there.
  if (fit.stopped !== null && fit.stopped !== "shape-limit") expect(fit.converged).toBe(false);
  expect([null, "evaluations", "time", "domain-edge", "shape-limit"]).toContain(fit.stopped);
}

test("regression: the demo's 600 customers, seed 6 (ran > 2 min) follow s, beta → ∞ in < 1,000 evaluations", () => {
  const fit = fitParetoNbd(demoSummaries(600, 6));
  expectUsableFit(fit);
  // The likelihood rises towards s, beta → ∞ with s/beta fixed (~0.024/week): one dropout rate.
  // The fit used to stop at a "domain edge" where the 2F1 series could no longer be summed
  // (s ≈ 143, 1,504 evaluations, 10 s); with the dropout term by quadrature there it goes on to
  // where the likelihood is flat (converged) or to the shape limit, and says which.
  expect([null, "shape-limit"]).toContain(fit.stopped);
  expect(fit.params.s).toBeGreaterThan(1e4);
  expect(fit.params.s / fit.params.beta).toBeCloseTo(0.0237, 3);
  expect(fit.evaluations).toBeLessThan(1_000);
  if (fit.stopped === "shape-limit" && fit.converged) {
    expect(shapeLimitNote("Pareto/NBD", fit)).toContain("past 1e+6 in s, held there");
  } else if (fit.stopped === "shape-limit") {
    expect(fitWarning("Pareto/NBD", fit)).toContain("with s held at 1e+6");
  }
}, 90_000);

test("regression: trainSimulatedDemo({customers: 600, seed: 6}) finishes with a usable Pareto/NBD", async () => {
  const started = performance.now();
  const { trained } = await trainSimulatedDemo({
    customers: 600,
    seed: 6,
    source: "test",
    folds: 3,
  });
  expect((performance.now() - started) / 1000).toBeLessThan(90);
  expectUsableFit(trained.paretoNbd);
  expect(["evaluations", "time", "domain-edge"]).not.toContain(trained.paretoNbd.stopped);
}, 120_000);

test("regression: `ml simulate --customers 400` (seed 42) then `ml train` on its CSV ends", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pnbd-hang-"));
  try {
    const out = join(dir, "log.csv");
    const { population } = await runSimulate({
      model: "bgnbd",
      customers: 400,
      seed: 42,
      start: "1997-01-01",
      params: {},
      out,
    });
    const window = population.exact.options;
    const { summaries } = await loadTrainingData({
      path: out,
      format: "csv",
      calibrationEnd: window.calibrationEnd,
      ...(window.holdoutEnd ? { holdoutEnd: window.holdoutEnd } : {}),
      timeUnit: "week",
    });
    const started = performance.now();
    const fit = fitParetoNbd(summaries);
    expectUsableFit(fit);
    expect((performance.now() - started) / 1000).toBeLessThan(60);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 90_000);

test("the evaluation and time budgets stop a fit with finite parameters and the reason", () => {
  const summaries = demoSummaries(600, 6);
  const byCount = fitParetoNbd(summaries, { maxEvaluations: 40 });
  expectUsableFit(byCount);
  expect(byCount.converged).toBe(false);
  expect(byCount.stopped).toBe("evaluations");
  expect(byCount.evaluations).toBeLessThanOrEqual(40 + 3);
  expect(fitWarning("Pareto/NBD", byCount)).toContain("likelihood evaluations");

  const byTime = fitParetoNbd(summaries, { maxSeconds: 0.05 });
  expect(byTime.converged).toBe(false);
  expect(byTime.stopped).toBe("time");
  expect(byTime.seconds).toBeLessThan(5);
  expect(fitWarning("Pareto/NBD", byTime)).toContain("stopped after");
}, 60_000);

test("property: on random small simulated populations the fit returns, usable, in bounded time", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 30, max: 400 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.constantFrom("bgnbd" as const, "pareto" as const),
      (customers, seed, model) => {
        const summaries = demoSummaries(customers, seed, model);
        if (summaries.n === 0) return;
        const started = performance.now();
        const fit = fitParetoNbd(summaries);
        expectUsableFit(fit);
        expect((performance.now() - started) / 1000).toBeLessThan(60);
      },
    ),
    { numRuns: 12, seed: 20261130 },
  );
}, 300_000);
