import { describe, expect, test } from "bun:test";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { simulateParetoNbd } from "../sim/pareto-nbd-simulator.ts";
import { sampleGamma } from "../sim/samplers.ts";
import {
  type ParetoNbdParams,
  paretoNbdAliveAndPurchase,
  paretoNbdCustomerLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdExpectedPurchasesBatch,
  paretoNbdExpectedPurchasesNewCustomer,
  paretoNbdLogLikelihood,
  paretoNbdNegLogLikelihood,
  paretoNbdProbabilityAlive,
  paretoNbdProbabilityOfPurchase,
} from "./pareto-nbd.ts";
import { logDeathIntegral } from "./pareto-nbd-dropout-integral.ts";
import { prepareRfmRows } from "./rfm-rows.ts";
import { gammaln } from "./special-functions.ts";
import { ModelInputError } from "./types.ts";

const CDNOW: ParetoNbdParams = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };
const PARAM_SETS: ParetoNbdParams[] = [
  CDNOW,
  { r: 2, alpha: 3, s: 1.5, beta: 40 }, // alpha < beta
  { r: 1.1, alpha: 7, s: 0.8, beta: 7 }, // alpha = beta
];
const customers: [number, number, number][] = [
  [0, 0, 38.86],
  [1, 2.5, 30],
  [2, 30.43, 38.86],
  [7, 29.9, 32.1],
  [25, 36, 38],
  [3, 5, 5],
];

/** The likelihood from its integral form (SMC 1987): alive-at-T term plus s ∫ died-at-y term. */
function likelihoodByQuadrature(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const front = Math.exp(gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta));
  const alive = (alpha + T) ** -(r + x) * (beta + T) ** -s;
  const steps = 20_000;
  const h = (T - tx) / steps;
  let integral = 0;
  for (let i = 0; i <= steps && h > 0; i++) {
    const y = tx + i * h;
    const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    integral += w * (alpha + y) ** -(r + x) * (beta + y) ** -(s + 1);
  }
  integral *= h / 3;
  return front * (alive + s * integral);
}

describe("Pareto/NBD likelihood", () => {
  test("the 2F1 form equals the integral form by quadrature (alpha > beta, < beta, = beta)", () => {
    for (const p of PARAM_SETS) {
      for (const [x, tx, T] of customers) {
        const got = paretoNbdCustomerLogLikelihood(p, x, tx, T);
        const want = Math.log(likelihoodByQuadrature(p, x, tx, T));
        expect(Math.abs(got - want)).toBeLessThan(1e-9);
      }
    }
  });

  test("the likelihood of all possible histories over a window integrates to 1", () => {
    const p = { r: 1.5, alpha: 3, s: 0.9, beta: 2 };
    const Tw = 2;
    let total = Math.exp(paretoNbdCustomerLogLikelihood(p, 0, 0, Tw));
    for (let k = 1; k <= 40; k++) {
      const steps = 2000;
      const h = Tw / steps;
      let integral = 0;
      for (let i = 0; i <= steps; i++) {
        const t = i * h;
        const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
        // density of t_x given x: L(x, t_x, T) t_x^(x-1)/(x-1)! (x unordered earlier purchases)
        integral +=
          w *
          Math.exp(
            paretoNbdCustomerLogLikelihood(p, k, t, Tw) +
              (k > 1 ? (k - 1) * Math.log(t) : 0) -
              gammaln(k),
          );
      }
      total += (integral * h) / 3;
    }
    expect(Math.abs(total - 1)).toBeLessThan(1e-6);
  });

  test("the cached, grouped evaluation equals the sum of customer log-likelihoods", () => {
    const x = Float64Array.from([0, 0, 1, 2, 2, 5, 0, 1]);
    const tx = Float64Array.from([0, 0, 3, 20, 20, 30, 0, 3]);
    const T = Float64Array.from([30, 30, 31, 38, 38, 31, 12, 31]);
    for (const p of PARAM_SETS) {
      let bySum = 0;
      for (let i = 0; i < x.length; i++)
        bySum += paretoNbdCustomerLogLikelihood(p, x[i]!, tx[i]!, T[i]!);
      expect(paretoNbdLogLikelihood(p, { x, tx, T })).toBeCloseTo(bySum, 9);
      const theta = Float64Array.from([p.r, p.alpha, p.s, p.beta].map(Math.log));
      expect(-paretoNbdNegLogLikelihood(prepareRfmRows({ x, tx, T }), theta)).toBeCloseTo(bySum, 9);
    }
  });
});

test("the exact gradient matches central differences on both sides of alpha = beta", () => {
  const x = Float64Array.from([0, 0, 1, 2, 2, 5, 0, 1, 12]);
  const tx = Float64Array.from([0, 0, 3, 20, 20, 30, 0, 3, 37.5]);
  const T = Float64Array.from([30, 30, 31, 38, 38, 31, 12, 31, 38]);
  const rows = prepareRfmRows({ x, tx, T });
  for (const p of [...PARAM_SETS, { r: 0.7, alpha: 2, s: 2.5, beta: 1 }]) {
    const theta = Float64Array.from([p.r, p.alpha, p.s, p.beta].map(Math.log));
    const g = new Float64Array(4);
    const value = paretoNbdNegLogLikelihood(rows, theta, g);
    expect(value).toBeCloseTo(paretoNbdNegLogLikelihood(rows, theta), 10);
    for (let i = 0; i < 4; i++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i]! += h;
      down[i]! -= h;
      const numeric =
        (paretoNbdNegLogLikelihood(rows, up) - paretoNbdNegLogLikelihood(rows, down)) / (2 * h);
      expect(Math.abs(g[i]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    }
  }
});

describe("Pareto/NBD predictions", () => {
  test("P(purchase in the next t) by likelihood ratio matches Monte Carlo over the posterior", () => {
    // Alive at T, the posterior is λ ~ Gamma(r+x, alpha+T), μ ~ Gamma(s, beta+T), independent;
    // P(≥1 purchase in t | λ, μ, alive) = λ/(λ+μ) (1 − e^(−(λ+μ)t)).
    const rng = new Xoshiro128(11);
    const n = 200_000;
    for (const [x, tx, T] of [
      [2, 30.43, 38.86],
      [7, 10, 38],
      [0, 0, 20],
    ] as const) {
      const t = 26;
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < n; i++) {
        const lambda = sampleGamma(rng, CDNOW.r + x, CDNOW.alpha + T);
        const mu = sampleGamma(rng, CDNOW.s, CDNOW.beta + T);
        const v = (lambda / (lambda + mu)) * -Math.expm1(-(lambda + mu) * t);
        sum += v;
        sumSq += v * v;
      }
      const mean = sum / n;
      const se = Math.sqrt((sumSq / n - mean * mean) / n);
      const pAlive = paretoNbdProbabilityAlive(CDNOW, x, tx, T);
      const got = paretoNbdProbabilityOfPurchase(CDNOW, t, x, tx, T);
      expect(Math.abs(got - pAlive * mean)).toBeLessThan(4 * pAlive * se);
    }
  }, 60_000);

  test("P(alive) is the alive share of the likelihood (checked by quadrature)", () => {
    for (const p of PARAM_SETS) {
      for (const [x, tx, T] of customers) {
        const { r, alpha, s, beta } = p;
        const front = Math.exp(
          gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta),
        );
        const aliveTerm = front * (alpha + T) ** -(r + x) * (beta + T) ** -s;
        const want = aliveTerm / likelihoodByQuadrature(p, x, tx, T);
        expect(Math.abs(paretoNbdProbabilityAlive(p, x, tx, T) - want)).toBeLessThan(1e-9);
      }
    }
  });
});

describe("Pareto/NBD expected purchases", () => {
  test("the expectation's slope at t = 0 is P(alive)·(r+x)/(alpha+T); it is continuous at s = 1", () => {
    for (const [x, tx, T] of customers) {
      const h = 1e-6;
      const slope = paretoNbdExpectedPurchases(CDNOW, h, x, tx, T) / h;
      const want = (paretoNbdProbabilityAlive(CDNOW, x, tx, T) * (CDNOW.r + x)) / (CDNOW.alpha + T);
      expect(Math.abs(slope - want) / want).toBeLessThan(1e-5);
    }
    const at = (s: number) => paretoNbdExpectedPurchases({ ...CDNOW, s }, 39, 2, 30.43, 38.86);
    expect(Math.abs(at(1 + 1e-9) - at(1))).toBeLessThan(1e-8);
    expect(Math.abs(at(1 - 1e-9) - at(1))).toBeLessThan(1e-8);
  });

  test("a new customer's E[X(t)] matches the mean of a simulation with a common T", () => {
    const n = 100_000;
    const pop = simulateParetoNbd(CDNOW, {
      customers: n,
      seed: 3,
      start: "1997-01-01",
      acquisitionDays: 1,
      timeUnit: "week",
    });
    const T = pop.exact.T[0]!;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      sum += pop.exact.x[i]!;
      sumSq += pop.exact.x[i]! ** 2;
    }
    const mean = sum / n;
    const se = Math.sqrt((sumSq / n - mean * mean) / n);
    expect(Math.abs(mean - paretoNbdExpectedPurchasesNewCustomer(CDNOW, T))).toBeLessThan(4 * se);
    // ... and it is the conditional expectation of someone with x = 0 at T = 0.
    expect(paretoNbdExpectedPurchases(CDNOW, T, 0, 0, 0)).toBeCloseTo(
      paretoNbdExpectedPurchasesNewCustomer(CDNOW, T),
      12,
    );
  }, 60_000);

  test("bad input names the field (and the index in batch form)", () => {
    const x = Float64Array.from([1, Number.NaN]);
    const tx = Float64Array.from([1, 1]);
    const T = Float64Array.from([2, 2]);
    try {
      paretoNbdExpectedPurchasesBatch(CDNOW, 10, x, tx, T);
      throw new Error("expected a ModelInputError");
    } catch (err) {
      expect(err).toBeInstanceOf(ModelInputError);
      expect((err as ModelInputError).field).toBe("x");
      expect((err as ModelInputError).index).toBe(1);
    }
    expect(() => paretoNbdProbabilityAlive({ ...CDNOW, beta: 0 }, 1, 1, 2)).toThrow(/^beta: /);
    expect(() => paretoNbdProbabilityOfPurchase(CDNOW, Number.NaN, 1, 1, 2)).toThrow(/^t: /);
    // Parameters where the 2F1 series cannot converge are computed by quadrature instead, and
    // agree with a brute-force integral (midpoint rule, 200,000 panels).
    const extreme = { r: 1, alpha: 1e6, s: 1, beta: 1e-3 };
    const alive = paretoNbdProbabilityAlive(extreme, 3, 0.5, 1);
    expect(alive).toBeGreaterThan(0);
    expect(alive).toBeLessThan(1);
    const n = 200_000;
    let brute = 0;
    for (let i = 0; i < n; i++) {
      const y = 0.5 + ((i + 0.5) * 0.5) / n;
      brute += (0.5 / n) * (1e6 + y) ** -4 * (1e-3 + y) ** -2;
    }
    expect(logDeathIntegral(extreme, 3, 0.5, 1)).toBeCloseTo(Math.log(brute), 8);
  });
});

test("paretoNbdAliveAndPurchase equals P(alive) and P(purchase) bit for bit", () => {
  const paramSets: ParetoNbdParams[] = [
    { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 },
    { r: 0.55, alpha: 10.6, s: 0.61, beta: 10.6 }, // alpha = beta: the closed form
    { r: 2, alpha: 3, s: 1.5, beta: 40 },
  ];
  let checked = 0;
  for (const params of paramSets) {
    for (const [x, tx, T] of [
      [0, 0, 0],
      [0, 0, 30],
      [2, 10, 30],
      [7, 30, 30],
      [25, 1.5, 80],
    ] as const) {
      for (const t of [0, 0.5, 39, 260]) {
        const both = paretoNbdAliveAndPurchase(params, t, x, tx, T);
        expect(both.pAlive).toBe(paretoNbdProbabilityAlive(params, x, tx, T));
        expect(both.pPurchase).toBe(paretoNbdProbabilityOfPurchase(params, t, x, tx, T));
        checked++;
      }
    }
  }
  expect(checked).toBe(60);
});

/**
 * P(alive at T) · ∫_0^t (r+x)/(alpha+T)·(1 + y/(alpha+T))^−(r+x+1)·(1 + y/(beta+T))^−s dy: the
 * first purchase after T comes before dropout and within t (composite Simpson, fine enough for
 * 1e-11).
 */
function purchaseByQuadrature(p: ParetoNbdParams, t: number, x: number, tx: number, T: number) {
  const { r, alpha, s, beta } = p;
  const f = (y: number) =>
    ((r + x) / (alpha + T)) *
    Math.exp(-(r + x + 1) * Math.log1p(y / (alpha + T)) - s * Math.log1p(y / (beta + T)));
  const n = 200_000;
  const h = t / n;
  let sum = f(0) + f(t);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(i * h);
  return paretoNbdProbabilityAlive(p, x, tx, T) * ((sum * h) / 3);
}

test("P(purchase) keeps its relative precision for lapsed customers (P(alive) from 1e-12 to 1e-180)", () => {
  // A heavy buyer long gone: 1 − L(T+t)/L(T) subtracted two likelihoods equal to 1e-16 and
  // answered −0 (or rounding noise) where the answer is P(alive)·P(purchase | alive) > 0.
  for (const params of PARAM_SETS) {
    for (const [x, tx, T, t] of [
      [40, 5, 78, 39],
      [200, 10, 78, 39],
      [100, 2, 300, 52],
      [20, 1, 40, 10],
      [2, 10, 30, 39], // an ordinary customer: the same value as before
    ] as const) {
      const want = purchaseByQuadrature(params, t, x, tx, T);
      const got = paretoNbdProbabilityOfPurchase(params, t, x, tx, T);
      expect(want).toBeGreaterThan(0);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-9);
      expect(paretoNbdAliveAndPurchase(params, t, x, tx, T).pPurchase).toBe(got);
    }
  }
});
