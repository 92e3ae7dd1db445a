// Customer lifetime value over a horizon: expected purchases per period (from BG/NBD or
// Pareto/NBD, conditional on the customer's history) times expected spend per purchase
// (Gamma-Gamma), discounted to the cutoff.
//
// Discrete form: with E(t) the expected purchases in (T, T+t] and t_k = min(k·step, horizon),
//   CLV = spend · Σ_k [E(t_k) − E(t_{k−1})] · (1 + d)^(−t_k)
// where d is the discount rate per model time unit (a purchase in period k is discounted as if it
// happened at the period's end). A yearly rate D becomes d = (1 + D)^(1/periodsPerYear) − 1.

import { type BgNbdParams, bgnbdExpectedPurchases } from "./bgnbd.ts";
import { type GammaGammaParams, gammaGammaExpectedSpend } from "./gamma-gamma.ts";
import { type ParetoNbdParams, paretoNbdExpectedPurchases } from "./pareto-nbd.ts";
import { ModelInputError } from "./types.ts";

export interface ClvOptions {
  /** How far ahead, in the model's time unit (e.g. 52 for a year of weeks). */
  horizon: number;
  /** Discount rate per period (`discountPer: "period"`, the default) or per year. 0 = none. */
  discountRate: number;
  /** What `discountRate` is per: one model time unit ("period") or a year. */
  discountPer?: "period" | "year";
  /** Model time units per year, needed for a yearly rate: 365.25/7 for weeks, 365.25 for days. */
  periodsPerYear?: number;
  /** Length of one discounting step in model time units (default 1). */
  step?: number;
}

/** Weeks and days per year, for `periodsPerYear`. */
export const PERIODS_PER_YEAR = { week: 365.25 / 7, day: 365.25 } as const;

/** The discount rate per model time unit implied by the options; validates them. */
export function discountRatePerUnit(options: ClvOptions): number {
  const { horizon, discountRate } = options;
  if (!(horizon >= 0) || !Number.isFinite(horizon)) {
    throw new ModelInputError("horizon", `expected a finite number >= 0, got ${horizon}`);
  }
  if (!(discountRate > -1) || !Number.isFinite(discountRate)) {
    throw new ModelInputError("discountRate", `expected a finite number > -1, got ${discountRate}`);
  }
  const step = options.step ?? 1;
  if (!(step > 0) || !Number.isFinite(step)) {
    throw new ModelInputError("step", `expected a finite number > 0, got ${step}`);
  }
  if ((options.discountPer ?? "period") === "period") return discountRate;
  const perYear = options.periodsPerYear;
  if (perYear === undefined || !(perYear > 0) || !Number.isFinite(perYear)) {
    throw new ModelInputError("periodsPerYear", 'required (> 0) when discountPer is "year"');
  }
  return (1 + discountRate) ** (1 / perYear) - 1;
}

/**
 * Discounted expected purchases Σ_k [E(t_k) − E(t_{k−1})] (1+d)^(−t_k) for a cumulative
 * expectation E(t) (E(0) = 0); multiply by the expected spend per purchase for a value.
 */
export function discountedExpectedPurchases(
  expectedCumulative: (t: number) => number,
  options: ClvOptions,
): number {
  const d = discountRatePerUnit(options);
  const step = options.step ?? 1;
  const logDiscount = Math.log1p(d);
  let total = 0;
  let previous = 0;
  const periods = Math.ceil(options.horizon / step - 1e-12);
  for (let k = 1; k <= periods; k++) {
    const t = Math.min(k * step, options.horizon);
    const cumulative = expectedCumulative(t);
    total += (cumulative - previous) * Math.exp(-t * logDiscount);
    previous = cumulative;
  }
  return total;
}

/** CLV of one customer under BG/NBD purchases and Gamma-Gamma spend. */
export function bgnbdClv(
  params: BgNbdParams,
  spend: GammaGammaParams,
  x: number,
  tx: number,
  T: number,
  monetary: number,
  options: ClvOptions,
): number {
  const perPurchase = gammaGammaExpectedSpend(spend, x, monetary);
  return (
    perPurchase *
    discountedExpectedPurchases((t) => bgnbdExpectedPurchases(params, t, x, tx, T), options)
  );
}

/** CLV of one customer under Pareto/NBD purchases and Gamma-Gamma spend. */
export function paretoNbdClv(
  params: ParetoNbdParams,
  spend: GammaGammaParams,
  x: number,
  tx: number,
  T: number,
  monetary: number,
  options: ClvOptions,
): number {
  const perPurchase = gammaGammaExpectedSpend(spend, x, monetary);
  return (
    perPurchase *
    discountedExpectedPurchases((t) => paretoNbdExpectedPurchases(params, t, x, tx, T), options)
  );
}
