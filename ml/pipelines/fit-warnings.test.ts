// Fit warnings name only what the data do not identify: a log with no dropout leaves the dropout
// pair unidentified (said once, plainly), while r and alpha keep finite standard errors.
import { expect, test } from "bun:test";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { fitBgNbd } from "../models/bgnbd.ts";
import { fitGammaGamma, gammaGammaStandardErrors } from "../models/gamma-gamma.ts";
import { fitParetoNbd } from "../models/pareto-nbd.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { sampleGamma } from "../sim/samplers.ts";
import { diagnoseFits, gammaGammaFitWarnings } from "./fit-warnings.ts";
import { productionFitWarnings } from "./production-step.ts";

/** The fit diagnostics of 5,000 simulated BG/NBD customers with CDNOW's purchase rates. */
function diagnose(a: number, b: number, seed: number) {
  const sim = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a, b },
    { customers: 5_000, start: "1997-01-01", timeUnit: "week", seed },
  );
  const summaries = sim.exact as unknown as CustomerSummaries;
  return diagnoseFits(summaries, fitBgNbd(sim.exact), fitParetoNbd(sim.exact), null);
}

const flat = (warnings: string[], name: string) =>
  warnings.some((w) => w.includes(`parameter ${name} has an infinite standard error`));
const flatNote = (notes: string[] | undefined, name: string) =>
  (notes ?? []).some((n) => n.startsWith(`BG/NBD: ${name} has an infinite standard error`));

test("no dropout in the log: the dropout pair is named and explained as a note, r and alpha are not", () => {
  const d = diagnose(0.001, 100, 11);
  // The converged fit's flat dropout pair is the log's reading (no dropout), not a fit to distrust:
  // a note, and the model stays recommendable (flat-dropout-recommendation.test.ts).
  expect(flat(d.bgnbd, "a")).toBe(false);
  expect(
    (d.notes ?? []).some((w) => /the log shows next to no dropout \(a\/\(a\+b\) = /.test(w)),
  ).toBe(true);
  for (const warnings of [d.bgnbd, d.pareto_nbd]) {
    expect(warnings.filter((w) => /parameter (r|alpha|a|b|s|beta) /.test(w))).toEqual([]);
  }
});

test("everyone dropping out after a purchase (a/(a+b) ≈ 1): a held at its limit, b flat, not called 'no dropout'", () => {
  const d = diagnose(1e6, 0.001, 1);
  // a is held at the shape limit, not estimated (no standard error, no warning); b's likelihood is
  // flat there. Taken over all four, the ridge towards a → ∞ made every standard error infinite.
  // b's flatness is a note of the converged fit (as a shape at its limit is), not a warning.
  expect([flatNote(d.notes, "a"), flatNote(d.notes, "b")]).toEqual([false, true]);
  expect(d.bgnbd.filter((w) => /parameter (r|alpha|a|b) /.test(w))).toEqual([]);
  expect([...d.bgnbd, ...(d.notes ?? [])].filter((w) => /no dropout/.test(w))).toEqual([]);
});

test("Gamma-Gamma pushed to q <= 1 by one outlier spender: the warning names the customer", () => {
  const sim = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { customers: 3_000, start: "1997-01-01", timeUnit: "week", seed: 5 },
  );
  const summaries = {
    ...sim.exact,
    ids: Array.from({ length: sim.exact.n }, (_, i) => `c${i}`),
  } as unknown as CustomerSummaries;
  const spend = (monetary: Float64Array) => fitGammaGamma({ x: summaries.x, monetary });
  const bgnbd = fitBgNbd(sim.exact);
  const paretoNbd = fitParetoNbd(sim.exact);
  const plain = diagnoseFits(summaries, bgnbd, paretoNbd, spend(summaries.monetary));
  expect(plain.gamma_gamma.filter((w) => /outlier/.test(w))).toEqual([]);

  const buyer = summaries.x.findIndex((x) => x > 0);
  const monetary = Float64Array.from(summaries.monetary);
  monetary[buyer] = 1e300; // a typo, or a wholesaler among households
  const skewed = { ...summaries, monetary } as CustomerSummaries;
  const d = diagnoseFits(skewed, bgnbd, paretoNbd, spend(monetary));
  const warning = d.gamma_gamma.find((w) => /q = .* <= 1/.test(w)) ?? "";
  expect(warning).toContain(`customer "c${buyer}" spends`);
  expect(warning).toContain("times the median repeat buyer");
});

test("one price for every purchase (a subscription): Gamma-Gamma says so once, with the spend it keeps", () => {
  const sim = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { customers: 3_000, start: "1997-01-01", timeUnit: "week", seed: 5 },
  );
  const summaries = sim.exact as unknown as CustomerSummaries;
  const monetary = Float64Array.from(summaries.x, (x) => (x > 0 ? 29.99 : 0));
  const fit = fitGammaGamma({ x: summaries.x, monetary });
  const d = diagnoseFits(
    { ...summaries, monetary },
    fitBgNbd(sim.exact),
    fitParetoNbd(sim.exact),
    fit,
  );
  expect(d.gamma_gamma).toEqual([
    "Gamma-Gamma: the spend per purchase hardly varies, within or between customers (p and q at the limit together; the one spend they leave is 29.99): every customer's spend forecast is about that",
  ]);
  expect(
    productionFitWarnings(
      { bgnbd: fitBgNbd(sim.exact), paretoNbd: fitParetoNbd(sim.exact), gammaGamma: fit },
      "2024-01-01",
    ).filter((w) => w.includes("Gamma-Gamma")),
  ).toEqual([`WARNING: production refit as of 2024-01-01: ${d.gamma_gamma[0]}`]);
});

test("one spend rate for everyone (q at the limit, p fitted): said once, with the mean every forecast is", () => {
  const rng = new Xoshiro128(9);
  const x = Float64Array.from({ length: 4_000 }, () => 1 + Math.floor(rng.uniform() * 6));
  // Every purchase's spend ~ Gamma(p = 4, rate 0.2) for every customer: mean 20, no customer's own.
  const monetary = Float64Array.from(x, (n) => {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += sampleGamma(rng, 4, 0.2);
    return sum / n;
  });
  const fit = fitGammaGamma({ x, monetary });
  const warnings = gammaGammaFitWarnings(fit, () =>
    gammaGammaStandardErrors(fit.params, { x, monetary }),
  );
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /^Gamma-Gamma: customers' average spends differ no more than their purchases' spread makes them \(q at the limit: one spend rate for everyone, mean (19\.\d\d|20\.\d\d)\): every customer's spend forecast is about that mean/,
  );
  expect(fit.params.p).toBeCloseTo(4, 0);
});
