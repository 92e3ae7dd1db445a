import { expect, test } from "bun:test";
import { type FitDiagnostics, recommendUnflagged } from "../pipelines/fit-warnings.ts";
import { fitWarnings } from "./fit-diagnostics.ts";

const sound = { params: { p: 6.25, q: 3.74, gamma: 15.44 }, converged: true, gradientNorm: 1e-9 };

test("a sound fit has no warnings; each kind of trouble gets a readable one", () => {
  expect(fitWarnings("Gamma-Gamma", sound, { p: 0.3, q: 0.2, gamma: 1.1 })).toEqual([]);
  // The degenerate Gamma-Gamma fit of the issue: q = 5.5e7, gamma = 6.8e9.
  const degenerate = fitWarnings("Gamma-Gamma", {
    ...sound,
    params: { p: 6.2, q: 5.5e7, gamma: 6.8e9 },
  });
  expect(degenerate).toHaveLength(2);
  expect(degenerate[0]).toContain("q = 5.50e+7 is at the upper bound (> 1e6)");
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

test("the blend (no fit diagnostics of its own) is scored like the GBDT", () => {
  const deviance = { blend: 0.9, gbdt: 1.1, bgnbd: 1.0, pareto_nbd: 1.2 };
  expect(recommendUnflagged(deviance, false, diagnostics([], [])).recommended).toBe("blend");
  const flagged = recommendUnflagged(deviance, false, diagnostics(["x"], ["y"]));
  expect(flagged).toEqual({ recommended: "blend", note: null });
});
