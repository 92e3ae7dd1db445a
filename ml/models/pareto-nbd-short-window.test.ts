// Pareto/NBD's P(purchase) over a short window: equal to the likelihood ratio where that one keeps
// its digits, and where it cancels (minutes, or a million purchases) non-negative, at most the
// expected purchases, rising with t, and tending to P(alive)·(r+x)/(alpha+T)·t.
import { expect, test } from "bun:test";
import {
  type ParetoNbdParams,
  paretoNbdAliveAndPurchase,
  paretoNbdCustomerLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdProbabilityAlive,
  paretoNbdProbabilityOfPurchase,
} from "./pareto-nbd.ts";
import { isShortWindow } from "./pareto-nbd-short-window.ts";

const cdnow: ParetoNbdParams = { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.67 };
// One dropout rate for everyone (s held at the shape limit) and one purchase rate.
const oneDropoutRate: ParetoNbdParams = { r: 0.553, alpha: 10.58, s: 1e6, beta: 1e7 };
const onePurchaseRate: ParetoNbdParams = { r: 1e6, alpha: 5e6, s: 0.606, beta: 11.67 };
const customers = [
  [0, 0, 0.001],
  [0, 0, 39],
  [2, 30.43, 38.86],
  [10, 5, 39],
  [10_000, 1428.6, 1428.6],
  [1_000_000, 142_858, 142_858],
] as const;

/** The longest short window for the customer: P(purchase) is largest there. */
function longestShortWindow(params: ParetoNbdParams, x: number, T: number): number {
  const { r, alpha, s, beta } = params;
  return 0.1 / Math.max((r + x + 1) / (alpha + T), (s + 1) / (beta + T));
}

test("equals 1 − L(x, t_x, T+t)/L(x, t_x, T) where that ratio keeps its digits", () => {
  // Small |ln L| and a P(purchase) of 1–6%: the ratio is exact to ~1e-15 there.
  for (const [x, tx, T] of customers.slice(0, 3)) {
    const t = longestShortWindow(cdnow, x, T);
    expect(isShortWindow(cdnow, t, x, T)).toBe(true);
    const ratio = -Math.expm1(
      paretoNbdCustomerLogLikelihood(cdnow, x, tx, T + t) -
        paretoNbdCustomerLogLikelihood(cdnow, x, tx, T),
    );
    const got = paretoNbdProbabilityOfPurchase(cdnow, t, x, tx, T);
    expect(Math.abs(got / ratio - 1)).toBeLessThan(1e-12);
    expect(paretoNbdAliveAndPurchase(cdnow, t, x, tx, T).pPurchase).toBe(got);
  }
});

test("where the ratio cancels: equal to a 40-digit evaluation (the ratio was 1% off)", () => {
  // mpmath at 40 digits: P(alive) from its integral over the dropout time in (t_x, T), times
  // 1 − P(no purchase | alive) integrated over the remaining lifetime (ml/models test probes).
  const cases = [
    { x: 0, tx: 0, T: 0.001, want: 0.03280538816849263, ratioWas: 0.0328053884099197 },
    { x: 10, tx: 5, T: 39, want: 1.0163817223601213e-7, ratioWas: 1.005828330000182e-7 },
  ];
  for (const { x, tx, T, want, ratioWas } of cases) {
    const got = paretoNbdProbabilityOfPurchase(
      oneDropoutRate,
      longestShortWindow(oneDropoutRate, x, T),
      x,
      tx,
      T,
    );
    // P(alive) comes from the likelihood's dropout term (s = 1e6): ~1e-9 of it.
    expect(Math.abs(got / want - 1)).toBeLessThan(1e-8);
    // What the likelihood ratio gave (7e-9 and 1e-2 off); kept to show the cancellation.
    expect(Math.abs(got - want)).toBeLessThan(Math.abs(ratioWas - want));
  }
});

test("tiny windows: never negative, at most E[X(t)], rising with t, and P(alive)·rate·t in the limit", () => {
  // Before: −1.9e-9 for a new customer of `oneDropoutRate` over 1e-8 weeks (served rounded as
  // −0.000000002), and 2e-9 against expected purchases of 1e-9 for a million-purchase customer.
  for (const params of [cdnow, oneDropoutRate, onePurchaseRate]) {
    for (const [x, tx, T] of customers) {
      let previous = 0;
      for (let t = 1e-12; t < 1e-3; t *= 3) {
        const p = paretoNbdProbabilityOfPurchase(params, t, x, tx, T);
        expect(p).toBeGreaterThanOrEqual(previous);
        expect(p).toBeLessThanOrEqual(
          paretoNbdExpectedPurchases(params, t, x, tx, T) * (1 + 1e-12),
        );
        previous = p;
      }
      const t = 1e-9;
      const limit =
        paretoNbdProbabilityAlive(params, x, tx, T) * ((params.r + x) / (params.alpha + T)) * t;
      const p = paretoNbdProbabilityOfPurchase(params, t, x, tx, T);
      expect(Math.abs(p / limit - 1)).toBeLessThan(1e-6);
    }
  }
});
