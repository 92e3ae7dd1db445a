// Fit warnings name only what the data do not identify: a log with no dropout leaves the dropout
// pair unidentified (said once, plainly), while r and alpha keep finite standard errors.
import { expect, test } from "bun:test";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { fitBgNbd } from "../models/bgnbd.ts";
import { fitParetoNbd } from "../models/pareto-nbd.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { diagnoseFits } from "./fit-warnings.ts";

test("no dropout in the log: the dropout pair is named and explained, r and alpha are not", () => {
  const sim = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.001, b: 100 },
    { customers: 5_000, start: "1997-01-01", timeUnit: "week", seed: 11 },
  );
  const summaries = sim.exact as unknown as CustomerSummaries;
  const d = diagnoseFits(summaries, fitBgNbd(sim.exact), fitParetoNbd(sim.exact), null);
  expect(d.bgnbd.some((w) => /parameter a has an infinite standard error/.test(w))).toBe(true);
  expect(d.bgnbd.some((w) => /the log shows next to no dropout \(a\/\(a\+b\) = /.test(w))).toBe(
    true,
  );
  for (const warnings of [d.bgnbd, d.pareto_nbd]) {
    expect(warnings.filter((w) => /parameter (r|alpha) /.test(w))).toEqual([]);
  }
});

test("everyone dropping out after a purchase (a/(a+b) ≈ 1): a flat pair, but not called 'no dropout'", () => {
  const sim = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 1e6, b: 0.001 },
    { customers: 5_000, start: "1997-01-01", timeUnit: "week", seed: 1 },
  );
  const summaries = sim.exact as unknown as CustomerSummaries;
  const d = diagnoseFits(summaries, fitBgNbd(sim.exact), fitParetoNbd(sim.exact), null);
  for (const name of ["a", "b"]) {
    const flat = new RegExp(`parameter ${name} has an infinite standard error`);
    expect(d.bgnbd.some((w) => flat.test(w))).toBe(true);
  }
  expect(d.bgnbd.filter((w) => /no dropout/.test(w))).toEqual([]);
});
