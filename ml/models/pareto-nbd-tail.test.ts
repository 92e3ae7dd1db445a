// The Pareto/NBD expectation in factors: the factors compose to paretoNbdExpectedPurchases, the
// tail matches its textbook form (and its s → 1 limit), and the grid form equals the scalar one.
import { expect, test } from "bun:test";
import {
  type ParetoNbdParams,
  paretoNbdExpectedPurchases,
  paretoNbdProbabilityAlive,
} from "./pareto-nbd.ts";
import {
  paretoNbdExpectationPrefactor,
  paretoNbdExpectationTail,
  paretoNbdExpectationTails,
} from "./pareto-nbd-tail.ts";

const PARAM_SETS: ParetoNbdParams[] = [
  { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 }, // CDNOW
  { r: 2, alpha: 3, s: 1.5, beta: 40 },
  { r: 1.1, alpha: 7, s: 1, beta: 7 }, // the s → 1 limit, -log((beta+T)/(beta+T+t))
  { r: 0.9, alpha: 5, s: 1 + 1e-9, beta: 20 },
];
const CUSTOMERS: [number, number, number][] = [
  [0, 0, 38.86],
  [2, 30.43, 38.86],
  [7, 35, 39],
  [40, 70, 75],
];
const TIMES = [0, 0.5, 1, 13, 39, 52, 520];

const close = (a: number, b: number, rel: number) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(Math.abs(a), Math.abs(b), 1e-300));

test("P(alive) · prefactor · tail(t) is paretoNbdExpectedPurchases", () => {
  for (const params of PARAM_SETS) {
    for (const [x, tx, T] of CUSTOMERS) {
      const alive = paretoNbdProbabilityAlive(params, x, tx, T);
      const prefactor = paretoNbdExpectationPrefactor(params, x, T);
      for (const t of TIMES) {
        const composed = alive * (prefactor * paretoNbdExpectationTail(params, t, T));
        close(composed, paretoNbdExpectedPurchases(params, t, x, tx, T), 1e-13);
      }
    }
  }
});

test("the tail is [1 − ((beta+T)/(beta+T+t))^(s−1)]/(s−1), continuous through s = 1", () => {
  for (const params of PARAM_SETS) {
    const { s, beta } = params;
    for (const T of [0, 10, 38.86]) {
      for (const t of TIMES) {
        const u = (beta + T) / (beta + T + t);
        const L = -Math.log(u);
        if (Math.abs(s - 1) < 1e-6) {
          // Near s = 1 the textbook form loses its digits to cancellation: compare with the
          // limit, which the tail approaches as L·(1 − (s−1)·L/2 + …).
          close(paretoNbdExpectationTail(params, t, T), L, Math.abs(s - 1) * L + 1e-14);
        } else {
          close(paretoNbdExpectationTail(params, t, T), (1 - u ** (s - 1)) / (s - 1), 1e-12);
        }
      }
    }
  }
});

test("the grid form equals the scalar tail at every time, bit for bit", () => {
  const times = Float64Array.from({ length: 60 }, (_, k) => (k + 1) * 0.75);
  const out = new Float64Array(times.length);
  for (const params of PARAM_SETS) {
    for (const T of [0, 7.5, 38.86, 100]) {
      paretoNbdExpectationTails(params, times, T, out);
      for (let k = 0; k < times.length; k++) {
        expect(out[k]).toBe(paretoNbdExpectationTail(params, times[k]!, T));
      }
    }
  }
});
