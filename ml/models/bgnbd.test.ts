import { describe, expect, test } from "bun:test";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import {
  type BgNbdParams,
  bgnbdCustomerLogLikelihood,
  bgnbdExpectedPurchases,
  bgnbdExpectedPurchasesBatch,
  bgnbdExpectedPurchasesNewCustomer,
  bgnbdLogLikelihood,
  bgnbdNegLogLikelihood,
  bgnbdProbabilityAlive,
  bgnbdProbabilityOfPurchase,
  bgnbdProbabilityOfPurchaseGivenPAlive,
  bgnbdPurchaseExponent,
} from "./bgnbd.ts";
import { hyp2f1 } from "./hypergeometric.ts";
import { prepareRfmRows } from "./rfm-rows.ts";
import { ModelInputError } from "./types.ts";

const CDNOW: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const customers: [number, number, number][] = [
  [0, 0, 38.86],
  [1, 2.5, 30],
  [2, 30.43, 38.86],
  [7, 29.9, 32.1],
  [40, 36, 38],
  [3, 5, 5],
];

/** FHL (2005) eq. 10 as printed, with the 2F1 of the paper (needs a ≠ 1). */
function expectedPurchasesAsPrinted(p: BgNbdParams, t: number, x: number, tx: number, T: number) {
  const { r, alpha, a, b } = p;
  const hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const numerator =
    ((a + b + x - 1) / (a - 1)) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp);
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0);
  return numerator / denominator;
}

describe("BG/NBD predictions", () => {
  test("the expectation matches the printed 2F1 formula of FHL (2005) eq. 10", () => {
    for (const params of [
      CDNOW,
      { r: 2, alpha: 10, a: 3, b: 5 },
      { r: 0.5, alpha: 1, a: 0.3, b: 0.9 },
    ]) {
      for (const [x, tx, T] of customers) {
        for (const t of [0.5, 39, 200]) {
          const got = bgnbdExpectedPurchases(params, t, x, tx, T);
          const want = expectedPurchasesAsPrinted(params, t, x, tx, T);
          expect(Math.abs(got - want) / want).toBeLessThan(1e-10);
        }
      }
    }
  });

  test("the expectation is continuous through a = 1, where the printed formula is 0/0", () => {
    const at = (a: number) => bgnbdExpectedPurchases({ ...CDNOW, a }, 39, 2, 30.43, 38.86);
    const exact = at(1);
    expect(Number.isFinite(exact)).toBe(true);
    expect(Math.abs(at(1 + 1e-7) - exact)).toBeLessThan(1e-6);
    expect(Math.abs(at(1 - 1e-7) - exact)).toBeLessThan(1e-6);
  });

  test("its slope at t = 0 is P(alive)·(r+x)/(alpha+T) (the posterior mean rate of the living)", () => {
    for (const [x, tx, T] of customers) {
      const h = 1e-6;
      const slope = bgnbdExpectedPurchases(CDNOW, h, x, tx, T) / h;
      const want = (bgnbdProbabilityAlive(CDNOW, x, tx, T) * (CDNOW.r + x)) / (CDNOW.alpha + T);
      expect(Math.abs(slope - want) / want).toBeLessThan(1e-5);
    }
  });

  test("a new customer's E[X(t)] is the conditional one at x = 0, T = 0 and matches a simulation", () => {
    expect(bgnbdExpectedPurchasesNewCustomer(CDNOW, 39)).toBeCloseTo(
      bgnbdExpectedPurchases(CDNOW, 39, 0, 0, 0),
      12,
    );
    // Every simulated customer has the same T; the mean repeat count estimates E[X(T)].
    const n = 100_000;
    const pop = simulateBgNbd(CDNOW, {
      customers: n,
      seed: 7,
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
    expect(Math.abs(mean - bgnbdExpectedPurchasesNewCustomer(CDNOW, T))).toBeLessThan(4 * se);
  }, 60_000);
});

describe("BG/NBD purchase and alive probabilities", () => {
  test("P(purchase in the next t) equals the likelihood ratio 1 - L(x, tx, T+t)/L(x, tx, T)", () => {
    for (const params of [CDNOW, { r: 2, alpha: 10, a: 3, b: 5 }]) {
      for (const [x, tx, T] of customers) {
        for (const t of [1, 10, 52]) {
          const direct = bgnbdProbabilityOfPurchase(params, t, x, tx, T);
          const ratio =
            1 -
            Math.exp(
              bgnbdCustomerLogLikelihood(params, x, tx, T + t) -
                bgnbdCustomerLogLikelihood(params, x, tx, T),
            );
          expect(Math.abs(direct - ratio)).toBeLessThan(1e-12);
          expect(direct).toBeLessThan(bgnbdProbabilityAlive(params, x, tx, T));
        }
      }
    }
  });

  test("P(alive) is 1 without repeat purchases and falls as the silence since t_x grows", () => {
    expect(bgnbdProbabilityAlive(CDNOW, 0, 0, 30)).toBe(1);
    const recent = bgnbdProbabilityAlive(CDNOW, 4, 30, 31);
    const lapsed = bgnbdProbabilityAlive(CDNOW, 4, 5, 31);
    expect(recent).toBeGreaterThan(lapsed);
    expect(lapsed).toBeGreaterThan(0);
    // x = 2, t_x = 30.43, T = 38.86 by hand: 1/(1 + a/(b+1) ((alpha+T)/(alpha+t_x))^(r+2))
    const byHand = 1 / (1 + (0.793 / 3.426) * ((4.414 + 38.86) / (4.414 + 30.43)) ** 2.243);
    expect(bgnbdProbabilityAlive(CDNOW, 2, 30.43, 38.86)).toBeCloseTo(byHand, 14);
  });

  test("the batch form equals the scalar form and names the bad index", () => {
    const x = Float64Array.from(customers.map((c) => c[0]));
    const tx = Float64Array.from(customers.map((c) => c[1]));
    const T = Float64Array.from(customers.map((c) => c[2]));
    const e = bgnbdExpectedPurchasesBatch(CDNOW, 39, x, tx, T);
    customers.forEach(([xi, txi, Ti], i) => {
      expect(e[i]).toBe(bgnbdExpectedPurchases(CDNOW, 39, xi, txi, Ti));
    });
    T[3] = 1; // t_x = 29.9 > T
    try {
      bgnbdExpectedPurchasesBatch(CDNOW, 39, x, tx, T);
      throw new Error("expected a ModelInputError");
    } catch (err) {
      expect(err).toBeInstanceOf(ModelInputError);
      expect((err as ModelInputError).field).toBe("T");
      expect((err as ModelInputError).index).toBe(3);
    }
    expect(() => bgnbdExpectedPurchases(CDNOW, -1, 1, 1, 2)).toThrow(/^t: /);
    expect(() => bgnbdExpectedPurchases({ ...CDNOW, r: -1 }, 1, 1, 1, 2)).toThrow(/^r: /);
  });
});

describe("BG/NBD likelihood", () => {
  const x = Float64Array.from([0, 0, 1, 2, 2, 5, 0, 1]);
  const tx = Float64Array.from([0, 0, 3, 20, 20, 30, 0, 3]);
  const T = Float64Array.from([30, 30, 31, 38, 38, 31, 12, 31]);

  test("grouping identical rows does not change the log-likelihood", () => {
    let bySum = 0;
    for (let i = 0; i < x.length; i++)
      bySum += bgnbdCustomerLogLikelihood(CDNOW, x[i]!, tx[i]!, T[i]!);
    expect(bgnbdLogLikelihood(CDNOW, { x, tx, T })).toBeCloseTo(bySum, 10);
    const theta = Float64Array.from([CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b].map(Math.log));
    const grouped = -bgnbdNegLogLikelihood(prepareRfmRows({ x, tx, T }, true), theta);
    expect(prepareRfmRows({ x, tx, T }, true).n).toBe(5);
    expect(grouped).toBeCloseTo(bySum, 10);
  });

  test("the analytic gradient matches central differences", () => {
    const rows = prepareRfmRows({ x, tx, T });
    const theta = Float64Array.from([0.3, 4, 1.2, 2].map(Math.log));
    const g = new Float64Array(4);
    bgnbdNegLogLikelihood(rows, theta, g);
    for (let i = 0; i < 4; i++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i]! += h;
      down[i]! -= h;
      const numeric =
        (bgnbdNegLogLikelihood(rows, up) - bgnbdNegLogLikelihood(rows, down)) / (2 * h);
      expect(Math.abs(g[i]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    }
  });

  test("the likelihood of the possible histories integrates to 1 over a short window", () => {
    // With T fixed, P(x = 0) + Σ_x ∫ density(x, t_x) dt_x = 1. For x >= 1 the density of t_x is
    // L(x, t_x, T) · t_x^(x-1)/(x-1)! (the purchase times are unordered given t_x) — integrate it.
    const p = { r: 1.5, alpha: 3, a: 1.2, b: 2 };
    const Tw = 2;
    let total = Math.exp(bgnbdCustomerLogLikelihood(p, 0, 0, Tw));
    for (let k = 1; k <= 40; k++) {
      const steps = 2000;
      const h = Tw / steps;
      let integral = 0;
      for (let i = 0; i <= steps; i++) {
        const t = i * h;
        const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
        const density = Math.exp(
          bgnbdCustomerLogLikelihood(p, k, t, Tw) + (k - 1) * Math.log(t || 1e-300) - lgammaInt(k),
        );
        integral += w * density;
      }
      total += (integral * h) / 3;
    }
    expect(Math.abs(total - 1)).toBeLessThan(1e-6);
  });
});

function lgammaInt(k: number): number {
  let s = 0;
  for (let i = 2; i < k; i++) s += Math.log(i);
  return s;
}

describe("bgnbdPurchaseExponent", () => {
  const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  test("carries BG/NBD's own P(purchase) from one horizon to another exactly", () => {
    for (const [x, T, pAlive] of [
      [0, 30, 1],
      [2, 38.86, 0.6],
      [7, 70, 0.05],
    ] as const) {
      for (const [H, h] of [
        [13, 39],
        [39, 13],
        [13, 200],
      ] as const) {
        const p = (t: number) => bgnbdProbabilityOfPurchaseGivenPAlive(params, t, x, T, pAlive);
        const k = bgnbdPurchaseExponent(params, h, H, x, T, pAlive);
        expect(-Math.expm1(k * Math.log1p(-p(H)))).toBeCloseTo(p(h), 12);
        // Fewer than a Poisson's E[X(h)] / E[X(H)] = h / H when the horizon grows: leavers never buy.
        if (h > H) expect(k).toBeLessThan(h / H);
      }
    }
  });

  test("a customer with no chance of purchase at H falls back to h / H", () => {
    expect(bgnbdPurchaseExponent(params, 26, 13, 3, 50, 0)).toBe(2);
  });
});
