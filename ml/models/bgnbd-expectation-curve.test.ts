// BgNbdExpectationCurve against the scalar BG/NBD expectation: the same E(t) at every grid time,
// whatever the order customers come in, and a series that cannot converge fails loudly.
import { describe, expect, test } from "bun:test";
import { type BgNbdParams, bgnbdExpectationFactorAtZ, bgnbdExpectedPurchases } from "./bgnbd.ts";
import { BgNbdExpectationCurve } from "./bgnbd-expectation-curve.ts";
import { eulerSeriesCancels } from "./bgnbd-opportunity-sum.ts";
import { seriesIsLong } from "./hypergeometric.ts";

/**
 * The shape one series at a time: the definition the grid's series, summed side by side, must
 * equal to the bit (same terms, same order, same stopping rule).
 */
function shapeOneAtATime(params: BgNbdParams, x: number, T: number, ts: Float64Array): number[] {
  const { r, a, b } = params;
  const points = new BgNbdExpectationCurve(params).gridPoints(T, ts);
  const A = a + b - 1 - r;
  const C = a + b + x - 1;
  const settled = Math.max(8, 1 - A);
  return Array.from(points.z, (zk, k) => {
    if (zk === 0) return 0;
    if (seriesIsLong(a, zk) || eulerSeriesCancels(params, zk)) {
      return bgnbdExpectationFactorAtZ(params, zk, x);
    }
    let sum = 0;
    let zn = zk;
    let c = A / C;
    for (let n = 0; ; n++) {
      if (n > 0) c = (c * (A + n) * (a + n - 1)) / ((C + n) * (n + 1));
      const term = c * zn;
      sum += term;
      if (!Number.isFinite(sum)) break;
      if ((n > settled && Math.abs(term) <= 1e-17 * Math.abs(sum)) || term === 0) break;
      zn *= zk;
    }
    const value = (points.first[k] ?? 0) - (points.power[k] ?? 0) * sum;
    return Number.isFinite(value) ? value : bgnbdExpectationFactorAtZ(params, zk, x);
  });
}

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

  test("series summed side by side equal one series at a time, to the bit", () => {
    const cases: [BgNbdParams, number[]][] = [
      [params, [20, 20.0173, 37.3]], // CDNOW-like: every T its own grid
      [{ r: 0.1, alpha: 0.5, a: 0.3, b: 0.9 }, [0.2, 3]], // z near 1: past the 64 first coefficients
      [{ r: 40, alpha: 2, a: 0.9, b: 1.5 }, [1, 10]], // series that cancel: the scalar factor
      [{ r: 0.5, alpha: 3, a: 2500, b: 3000 }, [5, 60]], // a in the thousands: past double range
    ];
    // Odd and even counts of series, zeros and scalar points between them.
    const grids = [
      Float64Array.from({ length: 40 }, (_, k) => Math.min(k + 1, 39.04)),
      Float64Array.of(0, 2.5, 0, 7, 400, 11),
      Float64Array.of(3),
    ];
    let compared = 0;
    for (const [p, Ts] of cases) {
      const curve = new BgNbdExpectationCurve(p);
      for (const grid of grids) {
        for (const T of Ts) {
          for (const x of [0, 1, 7, 40]) {
            const out = new Float64Array(grid.length);
            curve.shapeOnGrid(x, curve.gridPoints(T, grid), out);
            expect(Array.from(out)).toEqual(shapeOneAtATime(p, x, T, grid));
            compared += grid.length;
          }
        }
      }
    }
    expect(compared).toBe(9 * 4 * 47); // 9 (params, T) pairs × 4 x × 47 times
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
