// Fit warnings name only what the data do not identify: a log with no dropout leaves the dropout
// pair unidentified (said once, plainly), while r and alpha keep finite standard errors.
import { expect, test } from "bun:test";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { fitBgNbd } from "../models/bgnbd.ts";
import { fitParetoNbd } from "../models/pareto-nbd.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { diagnoseFits } from "./fit-warnings.ts";

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

test("no dropout in the log: the dropout pair is named and explained, r and alpha are not", () => {
  const d = diagnose(0.001, 100, 11);
  expect(flat(d.bgnbd, "a")).toBe(true);
  expect(d.bgnbd.some((w) => /the log shows next to no dropout \(a\/\(a\+b\) = /.test(w))).toBe(
    true,
  );
  for (const warnings of [d.bgnbd, d.pareto_nbd]) {
    expect(warnings.filter((w) => /parameter (r|alpha) /.test(w))).toEqual([]);
  }
});

test("everyone dropping out after a purchase (a/(a+b) ≈ 1): a flat pair, but not called 'no dropout'", () => {
  const d = diagnose(1e6, 0.001, 1);
  expect([flat(d.bgnbd, "a"), flat(d.bgnbd, "b")]).toEqual([true, true]);
  expect(d.bgnbd.filter((w) => /no dropout/.test(w))).toEqual([]);
});
