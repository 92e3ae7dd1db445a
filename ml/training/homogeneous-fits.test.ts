// Fits where the data have less heterogeneity than the models allow, and spend in small currency
// units: the fit stops at the shape limit (or where the likelihood is flat) within a few hundred
// evaluations and says why, and a money scale in the millions is not taken for a degenerate fit.
import { expect, test } from "bun:test";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { bgnbdStandardErrors, fitBgNbd } from "../models/bgnbd.ts";
import { fitGammaGamma } from "../models/gamma-gamma.ts";
import { fitParetoNbd, paretoNbdExpectedPurchases } from "../models/pareto-nbd.ts";
import { fitWarning, shapeLimitNote } from "../pipelines/fit-btyd-models.ts";
import { diagnoseFits } from "../pipelines/fit-warnings.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { simulateParetoNbd } from "../sim/pareto-nbd-simulator.ts";
import { fitWarnings } from "./fit-diagnostics.ts";
import { DEFAULT_MAX_EVALUATIONS, SHAPE_LIMIT } from "./maximum-likelihood.ts";

const OPTIONS = { customers: 20_000, seed: 3, start: "1997-01-01", timeUnit: "week" as const };

test("one purchase rate for everyone: BG/NBD holds r at the shape limit, fits the rest, and says so", () => {
  // lambda = 0.2 per week for every customer (r → ∞ with r/alpha fixed); dropout as in CDNOW.
  const population = simulateBgNbd({ r: 1e10, alpha: 5e10, a: 0.793, b: 2.426 }, OPTIONS);
  const fit = fitBgNbd(population.exact);
  expect(fit.stopped).toBe("shape-limit");
  // With r at 1e6 the gradient's rounding (0.07) passes the tolerance (0.002) and BFGS stalls:
  // a Newton step by finite-difference curvature finds < 1e-7 left to gain, so the others have
  // converged (they were reported as not, and the fit flagged).
  expect(fit.converged).toBe(true);
  // Without the limit this fit spent all 20,000 evaluations crawling along r → ∞.
  expect(fit.evaluations).toBeLessThan(DEFAULT_MAX_EVALUATIONS / 20);
  expect(fit.params.r / SHAPE_LIMIT).toBeCloseTo(1, 9); // held on the limit
  expect(fit.params.r / fit.params.alpha).toBeCloseTo(0.2, 2);
  expect(fit.params.a).toBeLessThan(10); // the dropout's heterogeneity is still found
  const note = shapeLimitNote("BG/NBD", fit);
  expect(note).toContain("still rose past 1e+6 in r, held there");
  expect(note).toContain("one purchase rate for everyone");
  // Were the others short of convergence, the warning would say so, with r held.
  expect(fitWarning("BG/NBD", { ...fit, converged: false })).toContain(
    "did not converge: with r held at 1e+6",
  );
  // r held at the limit is the homogeneous model's fit, not a degenerate one, for the purchase
  // models; Gamma-Gamma's callers still call a shape there degenerate.
  expect(fitWarnings("BG/NBD", fit, null, { allowShapeLimit: true }).join("\n")).not.toContain(
    "parameter r =",
  );
  expect(fitWarnings("BG/NBD", fit).join("\n")).toContain("parameter r =");
});

test("one purchase rate for everyone, 200 customers: r held at the limit, the rest converged, a note and no warning", () => {
  const population = simulateBgNbd(
    { r: 1e10, alpha: 5e10, a: 0.793, b: 2.426 },
    { ...OPTIONS, customers: 200 },
  );
  const summaries = population.exact as unknown as CustomerSummaries;
  const fit = fitBgNbd(population.exact);
  expect(fit.stopped).toBe("shape-limit");
  expect(fit.converged).toBe(true);
  expect(shapeLimitNote("BG/NBD", fit)).toContain("past 1e+6 in r, held there");
  // Standard errors are taken with r held: over all four, the ridge towards r → ∞ made the
  // information singular and every parameter "not identified".
  const se = bgnbdStandardErrors(fit.params, population.exact);
  expect(se.r).toBe(0);
  for (const v of [se.alpha, se.a, se.b]) expect(Number.isFinite(v) && v > 0).toBe(true);
  const diagnostics = diagnoseFits(summaries, fit, fitParetoNbd(population.exact), null);
  expect(diagnostics.bgnbd).toEqual([]);
});

test("one purchase rate for everyone: Pareto/NBD follows r → ∞ and forecasts the holdout", () => {
  // lambda = 0.2 per week for all; CDNOW's dropout. The 2F1 series there needs ~1/(1 − z) terms
  // (z → 1 as r grows): the fit ran into its time limit, short of r → ∞ and with s and beta off.
  const population = simulateParetoNbd(
    { r: 1e10, alpha: 5e10, s: 0.61, beta: 11.67 },
    { ...OPTIONS, customers: 5_000, seed: 4 },
  );
  const { exact } = population;
  const day = (v: number) => Math.round(v * 7) / 7; // summaries on a day grid, as training's
  const data = { x: exact.x, tx: exact.tx.map(day), T: exact.T.map(day) };
  const fit = fitParetoNbd(data, { maxSeconds: 30 });
  expect([null, "shape-limit"]).toContain(fit.stopped);
  expect(fit.evaluations).toBeLessThan(1_000);
  expect(fit.params.r).toBeGreaterThan(100); // the purchase rates' spread is < 10% of their mean
  expect(fit.params.r / fit.params.alpha).toBeCloseTo(0.2, 2);
  let predicted = 0;
  let actual = 0;
  for (let i = 0; i < exact.n; i++) {
    predicted += paretoNbdExpectedPurchases(
      fit.params,
      exact.holdoutLength,
      data.x[i]!,
      data.tx[i]!,
      data.T[i]!,
    );
    actual += exact.holdoutPurchases[i]!;
  }
  expect(Math.abs(predicted / actual - 1)).toBeLessThan(0.05);
});

test("Gamma-Gamma in a currency of 100,000 to the dollar: the same shapes as in dollars, gamma scaled, and no warning", () => {
  const dollars = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { ...OPTIONS, spend: { p: 6.25, q: 3.74, gamma: 15.44 } },
  ).exact;
  const rate = 100_000; // units to the dollar: rial, or dong at 4× the price
  const local = { x: dollars.x, monetary: dollars.monetary.map((m) => m * rate) };
  const inDollars = fitGammaGamma(dollars);
  const inLocal = fitGammaGamma(local);
  expect(inLocal.converged).toBe(true);
  expect(inLocal.params.gamma).toBeGreaterThan(SHAPE_LIMIT);
  expect(inLocal.params.p).toBeCloseTo(inDollars.params.p, 3);
  expect(inLocal.params.q).toBeCloseTo(inDollars.params.q, 3);
  expect(inLocal.params.gamma / rate).toBeCloseTo(inDollars.params.gamma, 2);
  expect(fitWarnings("Gamma-Gamma", inLocal)).toEqual([]);
});
