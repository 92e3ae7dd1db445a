import { expect, test } from "bun:test";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { simulateParetoNbd } from "../sim/pareto-nbd-simulator.ts";
import { bgnbdExpectedPurchases, bgnbdProbabilityOfPurchase } from "./bgnbd.ts";
import { bgnbdConditionalPmf } from "./bgnbd-pmf.ts";
import { paretoNbdExpectedPurchases, paretoNbdProbabilityOfPurchase } from "./pareto-nbd.ts";
import { paretoNbdConditionalPmf } from "./pareto-nbd-pmf.ts";

const BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PN = { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.67 };
const K = 60;

function mean(pmf: Float64Array): number {
  let m = 0;
  for (let k = 0; k < pmf.length; k++) m += k * pmf[k]!;
  return m;
}

test("BG/NBD PMF: sums to 1, its mean is E[X(t)] and P(X > 0) is P(purchase)", () => {
  for (const [x, tx, T] of [
    [0, 0, 38.86],
    [2, 30.43, 38.86],
    [7, 35, 38],
    [30, 20, 39],
  ] as const) {
    const { pmf, tail } = bgnbdConditionalPmf(BG, 39, x, tx, T, 400);
    expect(tail).toBeLessThan(1e-9);
    expect(mean(pmf)).toBeCloseTo(bgnbdExpectedPurchases(BG, 39, x, tx, T), 8);
    expect(1 - pmf[0]!).toBeCloseTo(bgnbdProbabilityOfPurchase(BG, 39, x, tx, T), 12);
  }
});

test("Pareto/NBD PMF: sums to 1, mean E[X(t)], P(X > 0) = P(purchase); 24 nodes = 400 nodes", () => {
  for (const [x, tx, T] of [
    [0, 0, 38.86],
    [2, 30.43, 38.86],
    [7, 35, 38],
    [30, 20, 39],
  ] as const) {
    const { pmf, tail } = paretoNbdConditionalPmf(PN, 39, x, tx, T, 400);
    expect(tail).toBeLessThan(1e-9);
    expect(mean(pmf)).toBeCloseTo(paretoNbdExpectedPurchases(PN, 39, x, tx, T), 8);
    expect(1 - pmf[0]!).toBeCloseTo(paretoNbdProbabilityOfPurchase(PN, 39, x, tx, T), 10);
    const fine = paretoNbdConditionalPmf(PN, 39, x, tx, T, 400, 400).pmf;
    for (let k = 0; k < 400; k++) expect(Math.abs(pmf[k]! - fine[k]!)).toBeLessThan(1e-12);
  }
});

/**
 * Total variation between the simulated holdout counts of 100k customers and the mean of their
 * conditional PMFs (given each one's simulated history): checks the posterior and the forward
 * process together, against the exact continuous-time simulation.
 */
function populationTotalVariation(
  holdout: Float64Array,
  pmfOf: (i: number) => Float64Array,
): number {
  const n = holdout.length;
  const predicted = new Float64Array(K + 1);
  const seen = new Float64Array(K + 1);
  for (let i = 0; i < n; i++) {
    const pmf = pmfOf(i);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      predicted[k]! += pmf[k]! / n;
      sum += pmf[k]!;
    }
    predicted[K]! += (1 - sum) / n;
    seen[Math.min(K, holdout[i]!)]! += 1 / n;
  }
  let tv = 0;
  for (let k = 0; k <= K; k++) tv += Math.abs(predicted[k]! - seen[k]!);
  return tv / 2;
}

test("BG/NBD PMF matches 100k simulated customers (total variation < 0.01)", () => {
  const sim = simulateBgNbd(BG, {
    customers: 100_000,
    seed: 11,
    start: "1997-01-01",
    timeUnit: "week",
  });
  const e = sim.exact;
  const tv = populationTotalVariation(
    e.holdoutPurchases,
    (i) => bgnbdConditionalPmf(BG, e.holdoutLength, e.x[i]!, e.tx[i]!, e.T[i]!, K).pmf,
  );
  console.log(`BG/NBD PMF vs simulation: TV = ${tv.toFixed(5)}`);
  expect(tv).toBeLessThan(0.01);
});

test("Pareto/NBD PMF matches 100k simulated customers (total variation < 0.01)", () => {
  const sim = simulateParetoNbd(PN, {
    customers: 100_000,
    seed: 12,
    start: "1997-01-01",
    timeUnit: "week",
  });
  const e = sim.exact;
  const tv = populationTotalVariation(
    e.holdoutPurchases,
    (i) => paretoNbdConditionalPmf(PN, e.holdoutLength, e.x[i]!, e.tx[i]!, e.T[i]!, K).pmf,
  );
  console.log(`Pareto/NBD PMF vs simulation: TV = ${tv.toFixed(5)}`);
  expect(tv).toBeLessThan(0.01);
});

test("the comparison can fail: BG/NBD PMFs with a wrong dropout parameter are far off for heavy buyers", () => {
  // The test can fail: with the heavy buyers' segment only, a mis-specified PMF is far off.
  const sim = simulateBgNbd(BG, {
    customers: 100_000,
    seed: 13,
    start: "1997-01-01",
    timeUnit: "week",
  });
  const e = sim.exact;
  const heavy = [...e.x.keys()].filter((i) => e.x[i]! >= 3);
  const holdout = Float64Array.from(heavy, (i) => e.holdoutPurchases[i]!);
  const right = populationTotalVariation(holdout, (j) => {
    const i = heavy[j]!;
    return bgnbdConditionalPmf(BG, e.holdoutLength, e.x[i]!, e.tx[i]!, e.T[i]!, K).pmf;
  });
  const wrong = populationTotalVariation(holdout, (j) => {
    const i = heavy[j]!;
    return bgnbdConditionalPmf(
      { ...BG, a: BG.a * 3 },
      e.holdoutLength,
      e.x[i]!,
      e.tx[i]!,
      e.T[i]!,
      K,
    ).pmf;
  });
  expect(wrong).toBeGreaterThan(3 * right);
});
