// The training run's fit diagnostics: per model the warnings of fitWarnings (standard errors
// included), Gamma-Gamma's own limit (q <= 1: infinite population mean) and the $0 repeat buyers it
// leaves out. Flagged models are written to metrics.json and the report and never recommended.

import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { type BgNbdParams, bgnbdStandardErrors } from "../models/bgnbd.ts";
import {
  type GammaGammaParams,
  gammaGammaExpectedSpend,
  gammaGammaStandardErrors,
  zeroSpendRepeatBuyers,
} from "../models/gamma-gamma.ts";
import { type ParetoNbdParams, paretoNbdStandardErrors } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { fitWarnings, tryStandardErrors } from "../training/fit-diagnostics.ts";
import { atShapeLimit } from "../training/maximum-likelihood.ts";

export interface FitDiagnostics {
  bgnbd: string[];
  pareto_nbd: string[];
  gamma_gamma: string[];
  /** Repeat buyers whose mean repeat spend is 0: outside the Gamma-Gamma fit. */
  zeroSpendRepeatBuyers: number;
  /** What is said of the purchase models without flagging them (flat dropout parameters). */
  notes?: string[];
}

type Recommendable = "gbdt" | "bgnbd" | "pareto_nbd" | "blend";

/**
 * The purchase models' shapes held at SHAPE_LIMIT are the homogeneous limit's fit, not a warning
 * (fit-btyd-models' shapeLimitNote says so): flagging them kept BG/NBD, at the best holdout
 * deviance of 50 customers (1.139), from being recommended while the blend on it (1.391) was.
 */
export const HOMOGENEOUS_LIMIT_IS_SOUND = { allowShapeLimit: true } as const;

export function diagnoseFits(
  summaries: CustomerSummaries,
  bgnbd: FitResult<BgNbdParams>,
  paretoNbd: FitResult<ParetoNbdParams>,
  gammaGamma: FitResult<GammaGammaParams> | null,
): FitDiagnostics {
  const spend = { x: summaries.x, monetary: summaries.monetary };
  const gg = gammaGamma
    ? gammaGammaFitWarnings(gammaGamma, () => gammaGammaStandardErrors(gammaGamma.params, spend))
    : [];
  if (gammaGamma && gammaGamma.params.q <= 1) {
    gg.push(
      `Gamma-Gamma: q = ${gammaGamma.params.q.toPrecision(3)} <= 1 (at its bound): the population mean spend is infinite${largestSpender(summaries)}`,
    );
  }
  const bgSe = tryStandardErrors(() => bgnbdStandardErrors(bgnbd.params, summaries));
  const paretoSe = tryStandardErrors(() => paretoNbdStandardErrors(paretoNbd.params, summaries));
  const { a, b } = bgnbd.params;
  const { s, beta } = paretoNbd.params;
  const longest = summaries.T.reduce((m, t) => Math.max(m, t), 0);
  const flat = (se: object | null, ...names: string[]) =>
    names.every((k) => (se as Record<string, number> | null)?.[k] === Number.POSITIVE_INFINITY);
  const bg = purchaseModelDiagnosis(
    "BG/NBD",
    bgnbd,
    bgSe,
    ["a", "b"],
    [...noDropout("BG/NBD", "a and b", flat(bgSe, "a", "b"), a / (a + b), "a/(a+b)")],
  );
  const pn = purchaseModelDiagnosis(
    "Pareto/NBD",
    paretoNbd,
    paretoSe,
    ["s", "beta"],
    [
      ...noDropout(
        "Pareto/NBD",
        "s and beta",
        flat(paretoSe, "s", "beta"),
        (s / beta) * longest,
        "s/beta × the longest history",
      ),
    ],
  );
  return {
    bgnbd: bg.warnings,
    pareto_nbd: pn.warnings,
    gamma_gamma: gg,
    zeroSpendRepeatBuyers: zeroSpendRepeatBuyers(spend),
    notes: [...bg.notes, ...pn.notes],
  };
}

/**
 * A purchase model's warnings and notes. A converged fit whose dropout parameters (`dropout`: a, b
 * or s, beta) have an infinite standard error is a note, not a warning, as a shape held at its
 * limit is: the log says little about dropout, so the likelihood is next to flat there (curvature
 * under 1e-3 of the largest, standard-errors.ts), the parameter is held for the intervals, and the
 * forecasts are scored on the holdout like any model's. On a low-churn log (5,000 customers) moving
 * b or beta by 2× either way cost under 0.7 in log-likelihood and moved the holdout total by 0.4%.
 * Flagged, both models were excluded while the blend built on them was recommended at a worse
 * deviance. A flat r or alpha, or an unconverged fit, stays a warning. `noDropout`: the explanation
 * of a flat pair with next to no dropout, said instead of the generic note.
 */
export function purchaseModelDiagnosis<P extends object>(
  model: string,
  fit: Pick<FitResult<P>, "params" | "converged" | "gradientNorm">,
  standardErrors: Partial<Record<keyof P, number>> | null,
  dropout: string[],
  noDropoutLines: string[] = [],
): { warnings: string[]; notes: string[] } {
  const se = (standardErrors ?? {}) as Record<string, number>;
  const flat = fit.converged
    ? dropout.filter((k) => se[k] !== undefined && !Number.isFinite(se[k]))
    : [];
  const checked = standardErrors
    ? Object.fromEntries(Object.entries(se).filter(([k]) => !flat.includes(k)))
    : null;
  const warnings = fitWarnings(
    model,
    fit,
    checked as Partial<Record<keyof P, number>> | null,
    HOMOGENEOUS_LIMIT_IS_SOUND,
  );
  if (flat.length === 0) return { warnings: [...warnings, ...noDropoutLines], notes: [] };
  if (noDropoutLines.length > 0) return { warnings, notes: noDropoutLines };
  const them = flat.length === 1 ? "it" : "them";
  const names = flat.join(" and ");
  const has = flat.length === 1 ? "has" : "have";
  return {
    warnings,
    notes: [
      `${model}: ${names} ${has} an infinite standard error (the likelihood is next to flat in ${them}: the log says little about dropout); ${flat.length === 1 ? "it is" : "they are"} held where the fit left ${them} for the intervals, the fit converged, and its forecasts are scored on the holdout like any model's`,
    ],
  };
}

/**
 * Gamma-Gamma's warnings. With q at the shape limit every customer has one spend rate: their
 * average spends differ no more than their purchases' spread makes them, the log's sound reading,
 * said once with the mean that is every customer's forecast, instead of the bound, convergence
 * and standard-error warnings it implies (with p there too, no purchase's spend varies either: a
 * subscription at one price). Only p·gamma/(q − 1), the mean, matters there, and it is fitted.
 */
export function gammaGammaFitWarnings(
  fit: Pick<FitResult<GammaGammaParams>, "params" | "converged" | "gradientNorm">,
  standardErrors?: () => Partial<Record<keyof GammaGammaParams, number>>,
): string[] {
  const { p, q } = fit.params;
  if (!atShapeLimit("q", q)) {
    return fitWarnings("Gamma-Gamma", fit, standardErrors && tryStandardErrors(standardErrors));
  }
  // A customer with no repeat purchase is forecast the population mean p·gamma/(q − 1).
  const mean = gammaGammaExpectedSpend(fit.params, 0, 0).toPrecision(4);
  if (atShapeLimit("p", p)) {
    return [
      `Gamma-Gamma: the spend per purchase hardly varies, within or between customers (p and q at the limit together; the one spend they leave is ${mean}): every customer's spend forecast is about that`,
    ];
  }
  // p is still fitted: a bound it sits at is said as usual. Not its standard error: the
  // information matrix is singular with q at the limit, so every one comes out NaN.
  const pAlone = { params: { p }, converged: true, gradientNorm: 0 };
  return [
    `Gamma-Gamma: customers' average spends differ no more than their purchases' spread makes them (q at the limit: one spend rate for everyone, mean ${mean}): every customer's spend forecast is about that mean, whatever they spent before`,
    ...fitWarnings("Gamma-Gamma", pAlone),
  ];
}

/**
 * The repeat buyer with the largest mean spend, beside the median, when it stands far out: the
 * usual cause of a Gamma-Gamma q at its bound (a wholesaler, a test order, a typo).
 */
function largestSpender(summaries: CustomerSummaries): string {
  const spends: number[] = [];
  let top = -1;
  for (let i = 0; i < summaries.n; i++) {
    const m = summaries.monetary[i]!;
    if (!(summaries.x[i]! > 0 && m > 0)) continue;
    spends.push(m);
    if (top < 0 || m > summaries.monetary[top]!) top = i;
  }
  if (top < 0) return "";
  spends.sort((u, v) => u - v);
  const median = spends[Math.floor(spends.length / 2)]!;
  const ratio = summaries.monetary[top]! / median;
  if (!(ratio >= 100)) return "";
  return `; customer ${JSON.stringify(summaries.ids[top])} spends ${ratio.toPrecision(2)} times the median repeat buyer (${median.toPrecision(3)}): an outlier such as a wholesaler, a test order or a typo moves this fit (--drop-rows on the customer column leaves it out)`;
}

/**
 * What a flat dropout pair means when the dropout it implies is next to none (`dropout`: BG/NBD's
 * mean dropout probability per purchase, Pareto/NBD's expected dropouts over the longest
 * history): the log shows no dropout, the fit ran the pair off where only their ratio matters,
 * and the forecasts are the NBD's. A flat pair with dropout near certain is left to the
 * per-parameter warnings.
 */
function noDropout(
  model: string,
  pair: string,
  flat: boolean,
  dropout: number,
  what: string,
): string[] {
  if (!flat || !(dropout < 1e-3)) return [];
  return [
    `${model}: the log shows next to no dropout (${what} = ${dropout.toExponential(1)}): ${pair} are not identified apart and are held where the fit left them; its forecasts are the NBD's (no dropout), with r and alpha's uncertainty`,
  ];
}

/** The model to recommend: the best score among models without warnings (all flagged: the best).
 * The GBDT and the blend are judged out of fold only: fit diagnostics are about likelihood fits. */
export function recommendUnflagged(
  scores: Partial<Record<Recommendable, number>>,
  higherIsBetter: boolean,
  diagnostics: FitDiagnostics,
): { recommended: Recommendable; note: string | null } {
  const entries = (Object.entries(scores) as [Recommendable, number | undefined][]).filter(
    (e): e is [Recommendable, number] => e[1] !== undefined,
  );
  // GBDT and the blend are scored out of fold: their own score is the check, no fit to flag.
  const flagged = (m: Recommendable) =>
    (m === "bgnbd" || m === "pareto_nbd") && diagnostics[m].length > 0;
  const better = (a: [Recommendable, number], b: [Recommendable, number]) =>
    (higherIsBetter ? b[1] > a[1] : b[1] < a[1]) ? b : a;
  const clean = entries.filter(([m, v]) => !flagged(m) && !Number.isNaN(v));
  const usable = clean.filter(([, v]) => Number.isFinite(v));
  if (usable.length > 0) return { recommended: usable.reduce(better)[0], note: null };
  const best = entries.filter(([, v]) => Number.isFinite(v));
  const pick = (best.length > 0 ? best : entries).reduce(better)[0];
  return {
    recommended: pick,
    note: `every scored model has fit warnings; ${pick} is the least bad, treat it with care`,
  };
}
