// BgNbdExpectationCurve against the scalar BG/NBD expectation: the same E(t) at every grid time,
// whatever the order customers come in, and a series that cannot converge fails loudly.
import { describe, expect, test } from "bun:test";
import { bgnbdExpectedPurchases } from "./bgnbd.ts";
import { BgNbdExpectationCurve } from "./bgnbd-expectation-curve.ts";

const params = { r: 0.24, alpha: 4.41, a: 0.79, b: 2.43 };
const times = Float64Array.from({ length: 40 }, (_, k) => (k === 0 ? 0 : Math.min(k, 39.5)));
const customers = [
  [0, 0, 0.5],
  [0, 0, 52],
  [3, 30.5, 52],
  [12, 70, 78],
  [150, 99, 100],
  [2, 1, 500],
] as const;

describe("BgNbdExpectationCurve", () => {
  test("E(t) equals bgnbdExpectedPurchases at every time, in any customer order", () => {
    const curve = new BgNbdExpectationCurve(params);
    const out = new Float64Array(times.length);
    const first = customers.map(([x, tx, T]) =>
      Array.from(curve.expectations(x, tx, T, times, out)),
    );
    for (const [j, [x, tx, T]] of customers.entries()) {
      for (const [k, t] of times.entries()) {
        const expected = bgnbdExpectedPurchases(params, t, x, tx, T);
        const actual = first[j]?.[k] ?? Number.NaN;
        expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-10 * Math.max(1, expected));
      }
    }
    // A fresh curve visiting the customers backwards gives the same values to the bit.
    const again = new BgNbdExpectationCurve(params);
    for (let j = customers.length - 1; j >= 0; j--) {
      const [x, tx, T] = customers[j] ?? [0, 0, 0];
      expect(Array.from(again.expectations(x, tx, T, times, out))).toEqual(first[j] ?? []);
    }
  });

  test("a time so far that z is nearly 1 throws instead of looping on", () => {
    // With a − r − x − 2 > 0 the coefficients grow, so only z^n can make the terms small.
    const curve = new BgNbdExpectationCurve({ r: 0.1, alpha: 1, a: 5, b: 2 });
    const out = new Float64Array(2);
    expect(() => curve.expectations(0, 0, 1, Float64Array.of(1, 1e12), out)).toThrow(
      /did not converge/,
    );
  });
});
