// Parameter recovery: fitting 200,000 customers simulated from known parameters gives estimates
// within sampling error of them.
//
// Tolerance: |estimate − true| < 4 standard errors, each SE from the observed information (the
// Hessian of the negative log-likelihood at the MLE, delta method from log-parameters). The MLE
// is asymptotically normal, so each check fails by chance with probability 6e-5 (1e-3 for all 11
// together); seeds are fixed, so a failure is a real regression. At n = 200,000 the SEs are
// small (BG/NBD: r ±0.0014, alpha ±0.04, a ±0.02, b ±0.09), so this is a sharp test.
//
// The exact continuous-time process is fitted. Real logs merge purchases on the same day, which
// removes the shortest inter-purchase gaps: x drops, the rate looks lower and burstier. Measured
// here (BG/NBD, 200,000 CDNOW-like customers, weeks) and in bench/fit.ts (1,000,000): the
// day-merged fit moves r up by ~2-3% and alpha up by ~5-6% (a and b down by ~1-2%), i.e. several
// SEs at this n — so recovery tests must use the exact process, not the day-resolution log.

import { expect, test } from "bun:test";
import { summarize } from "../features/summaries.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { simulateParetoNbd } from "../sim/pareto-nbd-simulator.ts";
import { bgnbdStandardErrors, fitBgNbd } from "./bgnbd.ts";
import { fitGammaGamma, gammaGammaStandardErrors } from "./gamma-gamma.ts";
import { fitParetoNbd, paretoNbdStandardErrors } from "./pareto-nbd.ts";

const CUSTOMERS = 200_000;
const BGNBD = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PARETO = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };
const SPEND = { p: 6.25, q: 3.74, gamma: 15.44 };
const options = { customers: CUSTOMERS, start: "1997-01-01", timeUnit: "week" as const };

function expectWithinFourSe(
  model: string,
  estimate: Record<string, number>,
  truth: Record<string, number>,
  se: Record<string, number>,
): void {
  for (const name of Object.keys(truth)) {
    const z = (estimate[name]! - truth[name]!) / se[name]!;
    if (!(Math.abs(z) < 4)) {
      throw new Error(
        `${model} ${name}: estimate ${estimate[name]}, true ${truth[name]}, SE ${se[name]}`,
      );
    }
    expect(Math.abs(z)).toBeLessThan(4);
  }
}

test("BG/NBD and Gamma-Gamma recover their parameters from 200,000 exact simulated customers", () => {
  const population = simulateBgNbd(BGNBD, { ...options, seed: 2, spend: SPEND });
  const fit = fitBgNbd(population.exact);
  expect(fit.converged).toBe(true);
  const se = bgnbdStandardErrors(fit.params, population.exact);
  expectWithinFourSe("BG/NBD", { ...fit.params }, BGNBD, { ...se });
  // The SEs are real sampling errors, not inflated: ~1% of r at this n.
  expect(se.r / BGNBD.r).toBeLessThan(0.01);

  const spendFit = fitGammaGamma(population.exact);
  expect(spendFit.converged).toBe(true);
  const spendSe = gammaGammaStandardErrors(spendFit.params, population.exact);
  expectWithinFourSe("Gamma-Gamma", { ...spendFit.params }, SPEND, { ...spendSe });

  // The same purchases merged per day (what a real log gives): measure how far that moves
  // the estimates, in SEs. Merging can only remove purchases.
  const merged = summarize(population.log, population.exact.options);
  let exactPurchases = 0;
  let mergedPurchases = 0;
  for (let i = 0; i < CUSTOMERS; i++) {
    exactPurchases += population.exact.x[i]!;
    mergedPurchases += merged.x[i]!;
  }
  expect(mergedPurchases).toBeLessThan(exactPurchases);
  const mergedFit = fitBgNbd(merged);
  const shift = Object.keys(BGNBD).map((k) => {
    const key = k as keyof typeof BGNBD;
    const relative = (mergedFit.params[key] - fit.params[key]) / fit.params[key];
    const inSe = (mergedFit.params[key] - fit.params[key]) / se[key];
    return `${k} ${(100 * relative).toFixed(1)}% (${inSe.toFixed(1)} SE)`;
  });
  console.log(`BG/NBD day-merged vs exact fit, ${CUSTOMERS} customers: ${shift.join(", ")}`);
  expect(mergedFit.params.alpha).toBeGreaterThan(fit.params.alpha);
}, 120_000);

test("Pareto/NBD recovers its parameters from 200,000 exact simulated customers", () => {
  const population = simulateParetoNbd(PARETO, { ...options, seed: 3 });
  const fit = fitParetoNbd(population.exact);
  expect(fit.converged).toBe(true);
  const se = paretoNbdStandardErrors(fit.params, population.exact);
  expectWithinFourSe("Pareto/NBD", { ...fit.params }, PARETO, { ...se });
}, 120_000);
