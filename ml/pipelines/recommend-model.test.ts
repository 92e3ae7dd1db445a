// The recommended model is the one with the best out-of-fold Poisson deviance among those without
// fit warnings; a model whose forecasts are NaN is left out of that choice, not a reason to drop it.
import { expect, test } from "bun:test";
import type { CountMetrics, PurchaseMetrics } from "../evaluation/metrics.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { trainSimulatedDemo } from "./demo-model.ts";
import { recommendModel } from "./recommend-model.ts";

const count = (deviance: number): CountMetrics => ({
  mae: 1,
  rmse: 1,
  poisson_deviance: deviance,
  predicted_total: 100,
  actual_total: 100,
});
const purchase: PurchaseMetrics = { auc: 0.8, log_loss: 0.4 };
const fit = <P>(params: P, logLikelihood: number): FitResult<P> => ({
  params,
  logLikelihood,
  converged: true,
  stopped: null,
  iterations: 20,
  evaluations: 60,
  starts: 3,
  startsAgreeing: 3,
  gradientNorm: 0,
  customers: 600,
  rows: 600,
  seconds: 0.01,
});

test("a NaN deviance (a degenerate BG/NBD's forecasts) does not send the choice to the likelihoods", () => {
  // 600 steady buyers: BG/NBD held b at 1e6 and its forecasts were NaN; Pareto/NBD was recommended
  // at deviance 3.19, by its log-likelihood, over a GBDT at 1.14 (which has no likelihood).
  const comparison = recommendModel({
    bgnbd: fit<BgNbdParams>({ r: 7.2, alpha: 34.8, a: 3283, b: 1e6 }, -19_754),
    paretoNbd: fit<ParetoNbdParams>({ r: 7.4, alpha: 36.1, s: 6.6e5, beta: 1.3e9 }, -19_700),
    diagnostics: {
      bgnbd: ["BG/NBD: parameter b = 1.00e+6 is at the upper bound"],
      pareto_nbd: [],
      gamma_gamma: [],
      zeroSpendRepeatBuyers: 0,
    },
    holdout: {
      bgnbd: { ...count(Number.NaN), ...purchase },
      pareto_nbd: count(3.19),
      gbdt: { count: count(1.14), purchase },
      blend: null,
    },
  });
  expect(comparison.recommended).toBe("gbdt");
  // Without any holdout deviance the likelihoods still decide, among the unflagged fits.
  const noHoldout = recommendModel({
    bgnbd: fit<BgNbdParams>({ r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, -9_582),
    paretoNbd: fit<ParetoNbdParams>({ r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }, -9_595),
    diagnostics: { bgnbd: [], pareto_nbd: [], gamma_gamma: [], zeroSpendRepeatBuyers: 0 },
    holdout: { bgnbd: null, pareto_nbd: null, gbdt: null, blend: null },
  });
  expect(noHoldout.recommended).toBe("bgnbd");
});

test("the holdout totals in the notes are thousands separated, as every other count printed", () => {
  const big = (predicted: number): CountMetrics => ({
    ...count(1.2),
    predicted_total: predicted,
    actual_total: 2_552_078,
  });
  const comparison = recommendModel({
    bgnbd: fit<BgNbdParams>({ r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, -9_582),
    paretoNbd: fit<ParetoNbdParams>({ r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }, -9_595),
    diagnostics: { bgnbd: [], pareto_nbd: [], gamma_gamma: [], zeroSpendRepeatBuyers: 0 },
    holdout: {
      bgnbd: { ...big(2_501_234.56), ...purchase },
      pareto_nbd: big(2_500_000),
      gbdt: { count: big(2_549_876.04), purchase },
      blend: null,
    },
  });
  expect(comparison.notes).toContain(
    "holdout total: actual 2,552,078, GBDT 2,549,876, BG/NBD 2,501,234.6",
  );
});

test("small logs: a purchase model held at its shape limit is recommended when it scores best, not a blend built on it that scores worse", async () => {
  // 50 simulated customers: BG/NBD and Pareto/NBD hold a shape at 1e6 (the homogeneous limit)
  // with the others converged. They were flagged as degenerate and never recommended, while the
  // blend on them stayed eligible: seed 3 recommended the blend at a holdout deviance 16% worse
  // than Pareto/NBD's, seed 5 Pareto/NBD at 10% worse than BG/NBD's.
  for (const seed of [3, 5]) {
    const { trained } = await trainSimulatedDemo({ customers: 50, seed, source: "sim" });
    const { models, comparison } = trained.metrics;
    const deviance: Record<string, number | null | undefined> = {
      bgnbd: models.bgnbd.holdout?.poisson_deviance,
      pareto_nbd: models.pareto_nbd.holdout?.poisson_deviance,
      blend: models.blend?.holdout.poisson_deviance,
      gbdt: models.gbdt_count?.holdout.poisson_deviance,
    };
    const best = Math.min(...Object.values(deviance).filter((v): v is number => v != null));
    expect({ seed, deviance: deviance[comparison.recommended] }).toEqual({ seed, deviance: best });
    expect([...models.bgnbd.warnings, ...models.pareto_nbd.warnings]).toEqual([]);
    expect(comparison.notes.join("\n")).not.toContain("every scored model has fit warnings");
  }
}, 60_000);

// On a 5,000-customer Online Retail II-style log the CLI printed GBDT vs BG/NBD (1.7451 vs
// 1.7479) and then "recommended: pareto_nbd", without the deviance that chose it (1.7080, against
// the blend's 1.7085): nothing said why.
test("the notes say which deviance chose the recommended model, against the others'", () => {
  const comparison = recommendModel({
    bgnbd: fit<BgNbdParams>({ r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, -9_582),
    paretoNbd: fit<ParetoNbdParams>({ r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }, -9_595),
    diagnostics: {
      bgnbd: ["BG/NBD: a warning"],
      pareto_nbd: [],
      gamma_gamma: [],
      zeroSpendRepeatBuyers: 0,
    },
    holdout: {
      bgnbd: { ...count(1.6479), ...purchase },
      pareto_nbd: count(1.708),
      gbdt: { count: count(1.7451), purchase },
      blend: count(1.70849),
    },
  });
  expect(comparison.recommended).toBe("pareto_nbd");
  expect(comparison.notes).toContain(
    "recommended pareto_nbd: the lowest holdout Poisson deviance (pareto_nbd 1.7080, blend 1.7085, gbdt 1.7451; bgnbd 1.6479 left out: fit warnings)",
  );
});
