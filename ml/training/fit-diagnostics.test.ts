import { expect, test } from "bun:test";
import { type FitDiagnostics, recommendUnflagged } from "../pipelines/fit-warnings.ts";
import { fitWarnings } from "./fit-diagnostics.ts";

const sound = { params: { p: 6.25, q: 3.74, gamma: 15.44 }, converged: true, gradientNorm: 1e-9 };

test("a sound fit has no warnings; each kind of trouble gets a readable one", () => {
  expect(fitWarnings("Gamma-Gamma", sound, { p: 0.3, q: 0.2, gamma: 1.1 })).toEqual([]);
  // The degenerate Gamma-Gamma fit of the issue: q = 5.5e7, gamma = 6.8e9. Only the shape q is
  // flagged: gamma is money, and millions are a sound gamma in dong or rupiah.
  const degenerate = fitWarnings("Gamma-Gamma", {
    ...sound,
    params: { p: 6.2, q: 5.5e7, gamma: 6.8e9 },
  });
  expect(degenerate).toHaveLength(1);
  expect(
    fitWarnings("Gamma-Gamma", { ...sound, params: { p: 6.2, q: 3.7, gamma: 1.5e7 } }),
  ).toEqual([]);
  expect(degenerate[0]).toContain("q = 5.50e+7 is at the upper bound (>= 1e6)");
  expect(fitWarnings("BG/NBD", { ...sound, params: { a: 1e-9 } })[0]).toContain("lower bound");
  expect(fitWarnings("BG/NBD", { ...sound, converged: false })[0]).toContain("did not converge");
  expect(
    fitWarnings("BG/NBD", sound, { p: Number.NaN, q: Number.POSITIVE_INFINITY, gamma: 1 }),
  ).toHaveLength(2);
});

const diagnostics = (bg: string[], pnbd: string[]): FitDiagnostics => ({
  bgnbd: bg,
  pareto_nbd: pnbd,
  gamma_gamma: [],
  zeroSpendRepeatBuyers: 0,
});

test("a model with warnings is never recommended while another is sound", () => {
  const deviance = { gbdt: Number.POSITIVE_INFINITY, bgnbd: 1.0, pareto_nbd: 1.2 };
  expect(recommendUnflagged(deviance, false, diagnostics([], [])).recommended).toBe("bgnbd");
  expect(recommendUnflagged(deviance, false, diagnostics(["x"], [])).recommended).toBe(
    "pareto_nbd",
  );
  const both = recommendUnflagged(deviance, false, diagnostics(["x"], ["y"]));
  expect(both.recommended).toBe("bgnbd");
  expect(both.note).toContain("every scored model has fit warnings");
  const withGbdt = { ...deviance, gbdt: 1.1 };
  expect(recommendUnflagged(withGbdt, false, diagnostics(["x"], ["y"])).recommended).toBe("gbdt");
  const logLik = { gbdt: Number.NEGATIVE_INFINITY, bgnbd: -10, pareto_nbd: -9 };
  expect(recommendUnflagged(logLik, true, diagnostics([], ["y"])).recommended).toBe("bgnbd");
});

test("the blend competes with the others (it carries no fit diagnostics of its own)", () => {
  const deviance = { blend: 0.9, gbdt: 1.1, bgnbd: 1.0, pareto_nbd: 1.2 };
  expect(recommendUnflagged(deviance, false, diagnostics([], [])).recommended).toBe("blend");
  expect(recommendUnflagged(deviance, false, diagnostics(["x"], ["y"])).recommended).toBe("blend");
  const noBlend = { ...deviance, blend: Number.POSITIVE_INFINITY };
  expect(recommendUnflagged(noBlend, false, diagnostics(["x"], [])).recommended).toBe("gbdt");
});
