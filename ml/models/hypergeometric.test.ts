import { describe, expect, test } from "bun:test";
import {
  Hyp2f1ConvergenceError,
  hyp2f1,
  hyp2f1Value,
  hyp2f1WithReport,
  seriesIsLong,
} from "./hypergeometric.ts";

function relativeError(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

describe("hyp2f1 against closed forms", () => {
  const zs = [-50, -5, -0.9, -0.5, -0.3, -1e-3, 1e-6, 0.1, 0.5, 0.9, 0.99];

  test("2F1(1, 1; 2; z) = -ln(1 - z) / z", () => {
    for (const z of zs) {
      const want = -Math.log1p(-z) / z;
      expect(relativeError(hyp2f1(1, 1, 2, z), want)).toBeLessThan(1e-13);
      expect(relativeError(hyp2f1Value(1, 1, 2, z), want)).toBeLessThan(1e-13);
    }
  });

  test("2F1(a, b; b; z) = (1 - z)^-a", () => {
    for (const a of [0.3, 1.7, 12.5]) {
      for (const z of zs) {
        expect(relativeError(hyp2f1(a, 2.5, 2.5, z), (1 - z) ** -a)).toBeLessThan(1e-12);
      }
    }
  });

  test("2F1(1/2, 1/2; 3/2; z^2) = asin(z) / z and 2F1(1/2, 1; 3/2; -z^2) = atan(z) / z", () => {
    for (const z of [0.01, 0.3, 0.7, 0.95]) {
      expect(relativeError(hyp2f1(0.5, 0.5, 1.5, z * z), Math.asin(z) / z)).toBeLessThan(1e-13);
    }
    for (const z of [0.01, 0.7, 2, 10]) {
      expect(relativeError(hyp2f1(0.5, 1, 1.5, -z * z), Math.atan(z) / z)).toBeLessThan(1e-13);
    }
  });

  test("a terminating series is the polynomial: 2F1(-3, b; c; z)", () => {
    const b = 2.5;
    const c = 4.25;
    for (const z of [-3, -0.4, 0.6]) {
      // Σ_{n=0}^{3} (-3)_n (b)_n / ((c)_n n!) z^n
      let want = 0;
      let term = 1;
      for (let n = 0; n <= 3; n++) {
        want += term;
        term *= ((-3 + n) * (b + n) * z) / ((c + n) * (n + 1));
      }
      expect(relativeError(hyp2f1(-3, b, c, z), want)).toBeLessThan(1e-13);
    }
  });

  test("the Pareto/NBD form 2F1(a, b; a+1; z) = a ∫0^1 u^(a-1) (1 - z u)^-b du (Simpson)", () => {
    for (const [a, b, z] of [
      [3.2, 1.6, 0.05],
      [12.3, 0.55, 0.4],
      [1.8, 5.5, 0.8],
    ] as const) {
      const n = 20_000;
      const h = 1 / n;
      let integral = 0;
      for (let i = 0; i <= n; i++) {
        const u = i * h;
        const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
        integral += w * u ** (a - 1) * (1 - z * u) ** -b;
      }
      integral *= (a * h) / 3;
      expect(relativeError(hyp2f1(a, b, a + 1, z), integral)).toBeLessThan(1e-9);
    }
  });
});

describe("hyp2f1 limits of accuracy", () => {
  test("reports iterations and an error estimate; the count grows like 35 / (1 - z)", () => {
    const near = hyp2f1WithReport(1, 1, 2, 0.999);
    expect(near.converged).toBe(true);
    expect(near.iterations).toBeGreaterThan(10_000);
    expect(near.errorEstimate).toBeLessThan(1e-13);
    expect(relativeError(near.value, -Math.log(0.001) / 0.999)).toBeLessThan(1e-12);
    const small = hyp2f1WithReport(1, 1, 2, 0.1);
    expect(small.iterations).toBeLessThan(30);
  });

  test("flags non-convergence past the iteration cap instead of returning a wrong number", () => {
    expect(() => hyp2f1(1, 1, 2, 0.99999)).toThrow(Hyp2f1ConvergenceError);
    expect(hyp2f1WithReport(1, 1, 2, 0.99999).converged).toBe(false);
    expect(Number.isNaN(hyp2f1Value(1, 1, 2, 0.99999))).toBe(true);
    expect(hyp2f1WithReport(1, 1, 2, 0.9999, { maxIterations: 1_000_000 }).converged).toBe(true);
  });

  test("rejects z >= 1 and poles at non-positive integer c", () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 0, 0.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(RangeError);
    expect(Number.isNaN(hyp2f1Value(1, 1, -2, 0.5))).toBe(true);
  });

  test("cancellation under alternating terms shows in the error estimate, which bounds the error", () => {
    // 2F1(-20.5, 1; 1; z) = (1 - z)^20.5: terms alternate and grow while the sum shrinks.
    const half = hyp2f1WithReport(-20.5, 1, 1, 0.5);
    expect(half.errorEstimate).toBeGreaterThan(1e-8);
    expect(relativeError(half.value, 0.5 ** 20.5)).toBeLessThan(half.errorEstimate);
    // At z = 0.9 the true value 3e-21 is far below the rounding of ~1e5-sized terms: the estimate
    // says no digit is right, and hyp2f1 refuses to return the number.
    const r = hyp2f1WithReport(-20.5, 1, 1, 0.9);
    expect(r.errorEstimate).toBeGreaterThan(1);
    expect(() => hyp2f1(-20.5, 1, 1, 0.9)).toThrow(Hyp2f1ConvergenceError);
    // Away from the cancellation the estimate is honest and small.
    const easy = hyp2f1WithReport(-20.5, 1, 1, 0.05);
    expect(easy.errorEstimate).toBeLessThan(1e-12);
    expect(relativeError(easy.value, 0.95 ** 20.5)).toBeLessThan(1e-12);
  });
});

test("seriesIsLong skips its log only where the log cannot pass the bound: the same answers", () => {
  const definition = (b: number, z: number) =>
    !(z < 1) || (b * z + 40) / (1 - z) > 2_000 || -b * Math.log1p(-z) > 600;
  const bs = [-1e6, -3, 0, 1e-9, 0.5, 1, 7.3, 400, 599, 601, 3_283, 1e6, 1e300];
  const zs = [-0.9, -1e-12, 0, 1e-12, 0.01, 0.25, 0.5, 0.9, 0.999, 1 - 1e-12, 1, 2, Number.NaN];
  let compared = 0;
  for (const b of bs) {
    for (const z of zs) {
      expect(seriesIsLong(b, z)).toBe(definition(b, z));
      compared++;
    }
  }
  // Near the e^600 edge itself, for b beside 600/z.
  for (let i = 0; i < 2_000; i++) {
    const z = (i + 0.5) / 2_000;
    const b = 600 / -Math.log1p(-z);
    for (const scaled of [b * (1 - 1e-12), b, b * (1 + 1e-12)]) {
      expect(seriesIsLong(scaled, z)).toBe(definition(scaled, z));
      compared++;
    }
  }
  expect(compared).toBe(13 * 13 + 6_000);
});
