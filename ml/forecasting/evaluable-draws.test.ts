// Intervals never crash training or /forecast because a parameter draw (or the fit itself) lies
// where the Pareto/NBD formulas cannot be evaluated: the demo recipes that crashed, the draw
// screening's rules, a fit at the domain's edge, and random small populations.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { summarize } from "../features/summaries.ts";
import { fitBgNbd } from "../models/bgnbd.ts";
import {
  fitParetoNbd,
  type ParetoNbdParams,
  paretoNbdProbabilityAlive,
} from "../models/pareto-nbd.ts";
import { trainSimulatedDemo } from "../pipelines/demo-model.ts";
import { simulatePopulation } from "../pipelines/simulate.ts";
import { createStepLog } from "../pipelines/step-log.ts";
import { paretoNbdEvaluable, screenDraws } from "./evaluable-draws.ts";
import { forecastIntervals, type IntervalModelParams } from "./intervals.ts";
import { DOMAIN_EDGE_OMISSION, parameterCovariances } from "./parameter-uncertainty.ts";

function demoSummaries(customers: number, seed: number, model: "bgnbd" | "pareto" = "bgnbd") {
  const population = simulatePopulation({ model, customers, seed, timeUnit: "week" });
  const window = population.exact.options;
  return summarize(population.log, {
    calibrationEnd: window.calibrationEnd,
    ...(window.holdoutEnd ? { holdoutEnd: window.holdoutEnd } : {}),
    timeUnit: "week",
  });
}

const train = (customers: number, seed: number) =>
  trainSimulatedDemo({
    customers,
    seed,
    source: "test",
    folds: 3,
    steps: createStepLog({ write: null }),
  });

test("regression: the demo recipes that crashed (400 customers seed 7, 300 seed 9) train, with intervals", async () => {
  for (const [customers, seed] of [
    [400, 7],
    [300, 9],
  ] as const) {
    const { trained } = await train(customers, seed);
    // Their Pareto/NBD likelihood is flat along (s, beta): some draws fall where the 2F1 series
    // diverges. The dropout integral then comes from quadrature (pareto-nbd.ts), so they are
    // evaluable and the Pareto/NBD intervals are calibrated like the others.
    const calibration = trained.metrics.calibration;
    const pareto = calibration?.models.pareto_nbd;
    expect(pareto?.customers).toBeGreaterThan(0);
    for (const level of pareto?.levels ?? []) expect(level.coverage).toBeGreaterThan(0.3);
  }
}, 120_000);

test("regression: a blend with the best deviance can be recommended (recommendUnflagged crashed on it)", async () => {
  const { trained } = await train(400, 5);
  expect(["gbdt", "bgnbd", "pareto_nbd", "blend"]).toContain(trained.recommended);
  expect(trained.stacking).not.toBeNull();
}, 120_000);

const point: ParetoNbdParams = { r: 0.5, alpha: 10, s: 3, beta: 100 };

test("screenDraws keeps the first evaluable draws, redraws the rest and says how many", () => {
  const candidates = Array.from({ length: 8 }, (_, k) => ({ ...point, beta: 100 + k }));
  const odd = (p: ParetoNbdParams) => p.beta % 2 === 0;
  const screened = screenDraws("Pareto/NBD", point, candidates, 3, odd);
  expect(screened.draws.map((p) => p.beta)).toEqual([100, 102, 104]);
  expect(screened.warning).toBe(
    "Pareto/NBD: 2 of 5 parameter draws lay where its formulas cannot be evaluated and were redrawn",
  );
  const none = screenDraws("Pareto/NBD", point, candidates, 3, () => true);
  expect(none.warning).toBeNull();
  // Too few evaluable among the bounded candidates: the point estimate alone, and why.
  const few = screenDraws("Pareto/NBD", point, candidates, 5, odd);
  expect(few.draws).toEqual([point]);
  expect(few.warning).toContain("only 4 of 8 parameter draws");
  expect(few.warning).toContain("point estimate");
});

test("paretoNbdEvaluable: the hardest summary (t_x = 0, most purchases) decides", () => {
  expect(paretoNbdEvaluable(point, 50)).toBe(true);
  // |alpha − beta| / max(alpha, beta) = 1 − 1e-7: the series cannot be summed, quadrature can.
  expect(paretoNbdEvaluable({ ...point, beta: 1e8, s: 3e6 }, 5)).toBe(true);
  // alpha = 1e-300 beside t_x = 0: with r + x > 1 the integral lies by the singularity at −alpha
  // and is summed; with r + x < 1 (no repeat purchase, r = 0.5) the integrand falls too slowly
  // away from it for the panels to reach its mass, so the draw is not evaluable.
  const edge = { ...point, alpha: 1e-300, beta: 1e20 };
  expect(Number.isFinite(paretoNbdProbabilityAlive(edge, 5, 0, 1))).toBe(true);
  expect(paretoNbdEvaluable(edge, 5)).toBe(false);
  expect(paretoNbdEvaluable({ ...edge, r: 2 }, 5)).toBe(true);
});

function wideIntervalParams(): IntervalModelParams {
  const summaries = demoSummaries(400, 7);
  const bgnbd = fitBgNbd(summaries).params;
  const paretoNbd = fitParetoNbd(summaries).params;
  const covariances = parameterCovariances(summaries, { bgnbd, paretoNbd, gammaGamma: null });
  return { bgnbd, paretoNbd, gammaGamma: null, covariances, dispersion: {} };
}

test("forecastIntervals on draws far outside the domain: no throw, the point estimate, a warning", () => {
  const params = wideIntervalParams();
  const cov = params.covariances?.pareto_nbd as number[];
  // Inflate the variances 10,000× (spreads 100×): most draws reach an alpha or beta so near 0
  // beside t that not even the quadrature can sum the dropout term.
  const inflated = cov.map((v) => v * 10_000);
  const input = {
    x: [0, 1, 4, 30],
    tx: [0, 3, 20, 40],
    T: [50, 50, 50, 50],
    monetary: [Number.NaN, 10, 20, 30],
    horizon: 39,
    levels: [0.8, 0.95],
  };
  const result = forecastIntervals(
    {
      ...params,
      covariances: { ...(params.covariances as object), pareto_nbd: inflated } as never,
    },
    input,
  );
  const pareto = result.pareto_nbd;
  expect(pareto).toBeDefined();
  for (let i = 0; i < 4; i++) {
    const [lo, hi] = [
      pareto?.byLevel[1]?.purchases[2 * i],
      pareto?.byLevel[1]?.purchases[2 * i + 1],
    ];
    expect(Number.isFinite(lo)).toBe(true);
    expect(hi as number).toBeGreaterThanOrEqual(lo as number);
  }
  expect(pareto?.warnings.join(" ")).toMatch(/redrawn|point estimate/);
});

test("a model listed as omitted gets no intervals; a customer its formulas cannot evaluate gets none", () => {
  const params = wideIntervalParams();
  const input = { x: [1], tx: [3], T: [50], monetary: [10], horizon: 39, levels: [0.8] };
  const omitted = forecastIntervals(
    { ...params, omitted: { pareto_nbd: DOMAIN_EDGE_OMISSION } },
    input,
  );
  expect(omitted.pareto_nbd).toBeUndefined();
  expect(omitted.bgnbd).toBeDefined();
  // A point estimate where |alpha − beta| / (max + t) rounds to 1: the dropout term is integrated
  // from t_x = 3, but from t_x = 0 its integrand's singularity at −alpha = −1e-300 is too near for
  // the quadrature's panels: no purchases interval (NaN) for that customer alone.
  const edge = { ...params.paretoNbd, alpha: 1e-300, beta: 1e20 };
  const result = forecastIntervals(
    { ...params, paretoNbd: edge, covariances: null },
    { ...input, x: [1, 0], tx: [3, 0], T: [50, 50], monetary: [10, Number.NaN] },
  );
  expect(Number.isFinite(result.pareto_nbd?.byLevel[0]?.purchases[0])).toBe(true);
  expect(result.pareto_nbd?.byLevel[0]?.purchases[2]).toBeNaN();
  expect(result.pareto_nbd?.warnings).toEqual([
    "pareto_nbd: no interval for 1 customer(s) whose summary its formulas cannot evaluate",
  ]);
});

test("a Pareto/NBD fit stopped at the domain's edge: no covariance, intervals omitted with the reason", () => {
  const summaries = demoSummaries(300, 1);
  const bgnbd = fitBgNbd(summaries).params;
  const paretoNbd = fitParetoNbd(summaries).params;
  const cov = parameterCovariances(
    summaries,
    { bgnbd, paretoNbd, gammaGamma: null },
    { paretoNbd: "domain-edge" },
  );
  expect(cov.pareto_nbd).toBeNull();
  expect(cov.bgnbd).not.toBeNull();
  expect(cov.omitted).toEqual({ pareto_nbd: DOMAIN_EDGE_OMISSION });
  expect(parameterCovariances(summaries, { bgnbd, paretoNbd, gammaGamma: null }).omitted).toBe(
    undefined,
  );
});

test("property: on random small simulated populations, training with intervals never throws", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 150, max: 500 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      async (customers, seed) => {
        const { trained } = await train(customers, seed);
        expect(["gbdt", "bgnbd", "pareto_nbd", "blend"]).toContain(trained.recommended);
        const calibrated = Object.keys(trained.metrics.calibration?.models ?? {});
        const omitted = Object.keys(trained.metrics.calibration?.omitted ?? {});
        if (trained.stacking) {
          // Every model is either calibrated or omitted with its reason.
          expect([...calibrated, ...omitted].sort()).toEqual(
            ["bgnbd", "blend", "gbdt", "pareto_nbd"].sort(),
          );
        }
      },
    ),
    { numRuns: 6, seed: 20261130 },
  );
}, 300_000);
