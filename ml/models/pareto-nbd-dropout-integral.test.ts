// The Pareto/NBD dropout term by quadrature equals the 2F1 form wherever the series converges, its
// gradient matches finite differences, and predictions where the series cannot be summed are
// finite.
import { describe, expect, test } from "bun:test";
import { hyp2f1 } from "./hypergeometric.ts";
import type { ParetoNbdParams } from "./pareto-nbd.ts";
import { paretoNbdExpectedPurchases, paretoNbdProbabilityAlive } from "./pareto-nbd.ts";
import { logDeathIntegral, tailIntegral } from "./pareto-nbd-dropout-integral.ts";

/** ln H(t) = ln ∫_t^∞ (alpha+y)^−(r+x) (beta+y)^−(s+1) dy by the series (BTYD's 2F1 form). */
function seriesLogHalf(p: ParetoNbdParams, x: number, t: number): number {
  const a = p.r + p.s + x;
  const m = Math.max(p.alpha, p.beta);
  const second = p.alpha >= p.beta ? p.s + 1 : p.r + x;
  const U = m + t;
  const F = hyp2f1(a, second, a + 1, Math.abs(p.alpha - p.beta) / U, { maxIterations: 2e6 });
  return -a * Math.log(U) + Math.log(F / a);
}

const HALF_CASES: ParetoNbdParams[] = [
  { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 }, // CDNOW
  { r: 0.55, alpha: 10.58, s: 0.61, beta: 1167 },
  { r: 5000, alpha: 25000, s: 0.61, beta: 11.67 }, // nearly one purchase rate: z ≈ 0.9995
  { r: 0.3, alpha: 2, s: 0.05, beta: 300 }, // slow power-law tail, singularity near
  { r: 0.8, alpha: 10, s: 1425, beta: 6e4 }, // nearly one dropout rate
];

describe("the dropout integral by quadrature (the series' fallback near z = 1)", () => {
  test("equals the 2F1 form wherever the series converges", () => {
    const cases = [
      { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67, x: 2, tx: 30.4, T: 38.9 },
      { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67, x: 0, tx: 0, T: 38.9 },
      { r: 1.2, alpha: 3, s: 5, beta: 200, x: 7, tx: 10, T: 50 },
      { r: 0.3, alpha: 80, s: 2, beta: 4, x: 12, tx: 1, T: 70 },
    ];
    for (const { r, alpha, s, beta, x, tx, T } of cases) {
      const rsx = r + s + x;
      const m = Math.max(alpha, beta);
      const d = Math.abs(alpha - beta);
      const second = alpha >= beta ? s + 1 : r + x;
      const A0 =
        hyp2f1(rsx, second, rsx + 1, d / (m + tx)) / (m + tx) ** rsx -
        hyp2f1(rsx, second, rsx + 1, d / (m + T)) / (m + T) ** rsx;
      const viaQuadrature = logDeathIntegral({ r, alpha, s, beta }, x, tx, T);
      expect(Math.abs(Math.log(A0) - Math.log(rsx) - viaQuadrature)).toBeLessThan(1e-10);
    }
  });

  test("predictions at a domain-edge fit (s and beta large together) are finite, not errors", () => {
    // Where a fit that stops at the domain edge sits: the 2F1 series cannot be summed there.
    const edge = { r: 0.8, alpha: 10, s: 1425, beta: 6e4 };
    expect(() => hyp2f1(1425.8 + 20, 20.8, 1426.8 + 20, (6e4 - 10) / (6e4 + 1))).toThrow();
    for (const [x, tx, T] of [
      [20, 1, 52],
      [0, 0, 52],
      [3, 40, 52],
    ] as const) {
      const alive = paretoNbdProbabilityAlive(edge, x, tx, T);
      const expected = paretoNbdExpectedPurchases(edge, 26, x, tx, T);
      expect(alive).toBeGreaterThan(0);
      expect(alive).toBeLessThanOrEqual(1);
      expect(Number.isFinite(expected)).toBe(true);
    }
  });
});

describe("the fit's series halves by quadrature (where z is near 1)", () => {
  test("equal the series to 1e-15 relative (or 1e-11 in ln H) wherever it converges", () => {
    let compared = 0;
    for (const p of HALF_CASES) {
      for (const x of [0, 1, 5, 30]) {
        for (const t of [0, 0.5, 10, 78]) {
          const half = tailIntegral(p, x, t, false);
          expect(half).not.toBeNull();
          const series = seriesLogHalf(p, x, t);
          expect(Math.abs((half?.logH ?? 0) - series)).toBeLessThan(
            1e-11 + 1e-15 * Math.abs(series),
          );
          compared++;
        }
      }
    }
    expect(compared).toBe(80);
  });

  test("their gradient in (r, alpha, s, beta) matches central finite differences", () => {
    const names = ["r", "alpha", "s", "beta"] as const;
    const keys = { r: "dR", alpha: "dAlpha", s: "dS", beta: "dBeta" } as const;
    for (const p of HALF_CASES) {
      for (const [x, t] of [
        [0, 0],
        [3, 12.5],
        [30, 78],
      ] as const) {
        const half = tailIntegral(p, x, t, true);
        for (const name of names) {
          const h = 1e-5 * p[name];
          const up = tailIntegral({ ...p, [name]: p[name] + h }, x, t, false)?.logH ?? 0;
          const down = tailIntegral({ ...p, [name]: p[name] - h }, x, t, false)?.logH ?? 0;
          const numeric = (up - down) / (2 * h);
          const analytic = half?.[keys[name]] ?? Number.NaN;
          expect(Math.abs(analytic - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
        }
      }
    }
  });
});
