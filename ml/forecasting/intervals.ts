// Per-customer predictive intervals for purchases, spend and CLV over a horizon, for every model:
// one pure function over customer summaries and fitted parameters, called by the forecast service
// (POST /forecast with "intervals") and by batch scoring alike.
//
// - Purchases: BG/NBD and Pareto/NBD conditional PMFs (ml/models/*-pmf.ts) mixed over a parametric
//   bootstrap of the parameters (log θ ~ N(log θ̂, inverse observed information), 16 seeded draws),
//   so process noise and parameter uncertainty both count. GBDT and blend: a hurdle with
//   P(X = 0) = 1 − their P(purchase) and, given X ≥ 1, a zero-truncated negative binomial with the
//   dispersion fitted out of fold, whose mean makes E[X] their expected purchases (without a
//   P(purchase), the negative binomial around the mean alone). Intervals are conservative integer
//   sets.
// - Spend = the total order value of the horizon's purchases: Σ of X amounts, each Gamma(p, ν), with
//   ν from the customer's Gamma-Gamma posterior Gamma(q + p·x, γ + x·m_x) (Gamma-Gamma parameters
//   also bootstrapped). Its quantiles come from 500 Monte Carlo draws per customer, seeded by the
//   customer's summary, so the same customer always gets the same interval.
// - CLV: the spend interval times the model's discount share (its CLV / expected spend), i.e. the
//   purchase timing within the horizon is taken at its expectation.
// - Never a crash for a draw: Pareto/NBD draws its formulas cannot evaluate are redrawn
//   (evaluable-draws.ts); a customer the point estimate cannot evaluate gets no interval (NaN); a
//   model listed in `omitted` gets none at all. Each model's `warnings` say which happened.

import type { BgNbdParams } from "../models/bgnbd.ts";
import { bgnbdConditionalPmf } from "../models/bgnbd-pmf.ts";
import type { CountPmf } from "../models/count-pmf.ts";
import type { GammaGammaParams } from "../models/gamma-gamma.ts";
import { hurdleNegativeBinomialPmf, negativeBinomialMeanPmf } from "../models/negative-binomial.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import { paretoNbdConditionalPmf } from "../models/pareto-nbd-pmf.ts";
import { ModelInputError } from "../models/types.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleGamma } from "../sim/samplers.ts";
import { countInterval, mixPmfs, sampleCount } from "./count-interval.ts";
import {
  DRAW_ATTEMPTS_PER_DRAW,
  paretoNbdEvaluable,
  type ScreenedDraws,
  screenDraws,
} from "./evaluable-draws.ts";
import { selectRanks } from "./order-statistics.ts";
import {
  BGNBD_NAMES,
  drawParameterSets,
  GAMMA_GAMMA_NAMES,
  PARETO_NAMES,
  type ParameterCovariances,
} from "./parameter-uncertainty.ts";

export const INTERVAL_MODELS = ["bgnbd", "pareto_nbd", "gbdt", "blend"] as const;
export type IntervalModel = (typeof INTERVAL_MODELS)[number];
export const PARAMETER_DRAWS = 16;
export const SPEND_DRAWS = 500;
/** PMFs kept for customers with the same summary, at most (per model and batch). */
const SHARED_PMFS = 4096;

export interface IntervalModelParams {
  bgnbd: BgNbdParams;
  paretoNbd: ParetoNbdParams;
  gammaGamma: GammaGammaParams | null;
  /** Log-parameter covariances; null: no parameter uncertainty (process noise only). */
  covariances: ParameterCovariances | null;
  /** Negative-binomial dispersion of the mean-only models (0 = Poisson). */
  dispersion: Partial<Record<"gbdt" | "blend", number>>;
  /** Models whose intervals are left out, with the reason (e.g. a fit at its domain's edge). */
  omitted?: Partial<Record<IntervalModel, string>>;
}

export interface IntervalInput {
  x: ArrayLike<number>;
  tx: ArrayLike<number>;
  T: ArrayLike<number>;
  /** Mean repeat spend; NaN when unknown (the population's spend applies). */
  monetary: ArrayLike<number>;
  /** Horizon in model time units. */
  horizon: number;
  /** Interval levels in (0, 1), e.g. [0.8, 0.95]. */
  levels: readonly number[];
  /** Expected purchases of the mean-only models (NaN: no forecast for that customer). */
  means?: Partial<Record<"gbdt" | "blend", ArrayLike<number>>>;
  /**
   * P(purchase) of the mean-only models: their PMF's P(X = 0) is 1 − it (a hurdle). Without it
   * (or where it is NaN), the negative binomial around the mean alone.
   */
  pPurchase?: Partial<Record<"gbdt" | "blend", ArrayLike<number>>>;
  /** Per model, CLV / expected spend (the discount share); without it, CLV intervals are NaN. */
  discountShare?: Partial<Record<IntervalModel, ArrayLike<number>>>;
  /** Also return each customer's PMF. */
  distribution?: boolean;
  /** Rows to leave out (e.g. customers with an error); their columns stay NaN. */
  skip?: (i: number) => boolean;
  /** Only these models (default: every model that has its inputs). */
  models?: readonly IntervalModel[];
  /**
   * The largest x the Pareto/NBD parameter draws must evaluate (default: this batch's): a batch
   * split in parts passes the whole's, so every part screens the same draws.
   */
  screenMaxX?: number;
}

/** Per level, lo/hi columns: lo at [2i], hi at [2i + 1]. */
export interface IntervalColumns {
  purchases: Float64Array;
  spend: Float64Array;
  clv: Float64Array;
}

export interface ModelIntervals {
  byLevel: IntervalColumns[];
  /** The customers' PMFs (with distribution: true), null where there is no forecast. */
  pmf: (CountPmf | null)[] | null;
  /** Draws redrawn or dropped, customers without an interval: empty when all went as designed. */
  warnings: string[];
}

function columnsFor(n: number): IntervalColumns {
  const nan = () => new Float64Array(2 * n).fill(Number.NaN);
  return { purchases: nan(), spend: nan(), clv: nan() };
}

/** Counts to carry in a PMF: the posterior-mean rate's NB with a wide margin, at least 30. */
function supportSize(shape: number, rate: number, horizon: number): number {
  const mean = (shape / rate) * horizon * 1.5;
  return Math.min(5000, Math.ceil(mean + 12 * Math.sqrt(mean + (mean * mean) / shape) + 30));
}

/**
 * The PMF of a mean-only forecast, with enough support for its spread: given its P(purchase) p, the
 * hurdle P(0) = 1 − p, X | X ≥ 1 a zero-truncated NB with E[X] = mean (see
 * hurdleNegativeBinomialPmf); without p, the NB (or Poisson) with that mean. The NB around the mean
 * alone put P(0) where its dispersion said, not where the model's P(purchase) is: 1 − P(0) was
 * 0.611 against a P(purchase) of 0.528 and an actual share buying of 0.522 (10,000 simulated
 * customers, 4× the GBDT's trained horizon).
 */
export function meanOnlyPmf(mean: number, dispersion: number, pPurchase = Number.NaN): CountPmf {
  const shape = dispersion > 0 ? 1 / dispersion : 1e6;
  if (!Number.isNaN(pPurchase)) {
    // Sized for the truncated part's mean E[X]/p: its NB's variance bounds the truncated one's.
    const truncated = pPurchase > 0 ? Math.max(0, mean) / Math.min(1, pPurchase) : 0;
    const K = supportSize(shape, shape, Math.max(1, truncated)) + 10;
    return hurdleNegativeBinomialPmf(pPurchase, mean, dispersion, K);
  }
  // A Gamma mixing rate of shape/mean has the forecast's mean. (Rate 1 sized the support for a
  // mean of mean/φ: at φ 14 a mean of 7.8 lost its 95% upper bound, whose true value is 84.)
  return negativeBinomialMeanPmf(
    mean,
    dispersion,
    supportSize(shape, shape, Math.max(0, mean)) + 10,
  );
}

/** The predictive PMF of one customer under one model, or null when it has no forecast. */
type PmfOf = (i: number) => CountPmf | null;

interface PmfSources {
  of: Record<IntervalModel, PmfOf>;
  /** Per model, warnings about its draws and, after the batch, customers left without a PMF. */
  warnings: Record<IntervalModel, string[]>;
  unevaluable: Record<IntervalModel, number>;
}

function maxOf(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  return max;
}

function pmfSources(models: IntervalModelParams, input: IntervalInput): PmfSources {
  const cov = models.covariances;
  const bgDraws = drawParameterSets(models.bgnbd, [...BGNBD_NAMES], cov?.bgnbd, PARAMETER_DRAWS);
  const maxX = input.screenMaxX ?? maxOf(input.x);
  const pn = screenDraws(
    "Pareto/NBD",
    models.paretoNbd,
    drawParameterSets(
      models.paretoNbd,
      [...PARETO_NAMES],
      cov?.pareto_nbd,
      PARAMETER_DRAWS * DRAW_ATTEMPTS_PER_DRAW,
    ),
    PARAMETER_DRAWS,
    (p) => paretoNbdEvaluable(p, maxX),
  );
  const warnings: PmfSources["warnings"] = { bgnbd: [], pareto_nbd: [], gbdt: [], blend: [] };
  if (pn.warning) warnings.pareto_nbd.push(pn.warning);
  const unevaluable: PmfSources["unevaluable"] = { bgnbd: 0, pareto_nbd: 0, gbdt: 0, blend: 0 };
  const { x, tx, T, horizon: t } = input;
  // A customer whose summary the formulas cannot evaluate (even at the point estimate, since the
  // draws were screened) gets no PMF rather than failing the batch. Customers with the same
  // summary share one PMF (CDNOW: 2,357 customers, 1,016 summaries; the non-buyers of a day).
  const guarded = (model: IntervalModel, pmf: (i: number) => CountPmf): PmfOf => {
    const bySummary = new Map<string, CountPmf | null>();
    return (i) => {
      const key = `${x[i]}|${tx[i]}|${T[i]}`;
      let dist = bySummary.get(key);
      if (dist === undefined) {
        try {
          dist = pmf(i);
        } catch (e) {
          if (!(e instanceof ModelInputError)) throw e;
          dist = null;
        }
        // Bounded: a large batch keeps the summaries of its last stretch of customers.
        if (bySummary.size >= SHARED_PMFS) bySummary.clear();
        bySummary.set(key, dist);
      }
      if (dist === null) unevaluable[model]++;
      return dist;
    };
  };
  const meanOnly = (name: "gbdt" | "blend"): PmfOf => {
    const means = input.means?.[name];
    const probs = input.pPurchase?.[name];
    const phi = models.dispersion[name] ?? 0;
    return (i) => {
      const mu = means ? means[i]! : Number.NaN;
      return Number.isFinite(mu) ? meanOnlyPmf(mu, phi, probs ? probs[i]! : Number.NaN) : null;
    };
  };
  const of: Record<IntervalModel, PmfOf> = {
    bgnbd: guarded("bgnbd", (i) => {
      const K = supportSize(models.bgnbd.r + x[i]!, models.bgnbd.alpha + T[i]!, t);
      return mixPmfs(bgDraws.map((p) => bgnbdConditionalPmf(p, t, x[i]!, tx[i]!, T[i]!, K)));
    }),
    pareto_nbd: guarded("pareto_nbd", (i) => {
      const K = supportSize(models.paretoNbd.r + x[i]!, models.paretoNbd.alpha + T[i]!, t);
      return mixPmfs(pn.draws.map((p) => paretoNbdConditionalPmf(p, t, x[i]!, tx[i]!, T[i]!, K)));
    }),
    gbdt: meanOnly("gbdt"),
    blend: meanOnly("blend"),
  };
  return { of, warnings, unevaluable };
}

/** A seed from the customer's summary: the same customer gets the same draws in any batch. */
function customerSeed(x: number, tx: number, T: number, m: number): number {
  let h = 0x811c9dc5;
  for (const v of [x, tx, T, Number.isFinite(m) ? m : -1]) {
    h = Math.imul(h ^ Math.round(v * 1e6), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return h;
}

/**
 * Gamma-Gamma parameter draws with q > 1. At q ≤ 1 the population's mean spend per purchase,
 * p·gamma/(q − 1), is infinite: a fit whose q and gamma are known only as a ratio drew such q (3 of
 * 16 on an Online Retail II-style log, one of 4.5e-5), and the spend and CLV upper bounds of
 * customers without a repeat purchase came out unbounded. Redrawn as Pareto/NBD's draws are.
 */
function gammaGammaDraws(
  point: GammaGammaParams,
  covariances: ParameterCovariances | null,
): ScreenedDraws<GammaGammaParams> {
  const candidates = drawParameterSets(
    point,
    [...GAMMA_GAMMA_NAMES],
    covariances?.gamma_gamma,
    PARAMETER_DRAWS * DRAW_ATTEMPTS_PER_DRAW,
  );
  return screenDraws("Gamma-Gamma", point, candidates, PARAMETER_DRAWS, (p) => p.q > 1, {
    inside: "at q > 1, where its mean spend is finite",
    outside: "at q ≤ 1, where its mean spend is infinite,",
  });
}

/** Intervals (and optionally PMFs) of every model present for every customer. */
export function forecastIntervals(
  models: IntervalModelParams,
  input: IntervalInput,
): Partial<Record<IntervalModel, ModelIntervals>> {
  const n = input.x.length;
  const sources = pmfSources(models, input);
  const present = (input.models ?? INTERVAL_MODELS).filter(
    (m) =>
      models.omitted?.[m] === undefined &&
      ((m !== "gbdt" && m !== "blend") || input.means?.[m] !== undefined),
  );
  const gg = models.gammaGamma ? gammaGammaDraws(models.gammaGamma, models.covariances) : null;
  const ggDraws = gg?.draws ?? null;
  const out: Partial<Record<IntervalModel, ModelIntervals>> = {};
  for (const m of present) {
    out[m] = {
      byLevel: input.levels.map(() => columnsFor(n)),
      pmf: input.distribution ? new Array(n).fill(null) : null,
      warnings: gg?.warning ? [...sources.warnings[m], gg.warning] : sources.warnings[m],
    };
  }
  const spend = new Float64Array(SPEND_DRAWS);
  const nu = new Float64Array(SPEND_DRAWS);
  const uniforms = new Float64Array(SPEND_DRAWS);
  const spendRanks = input.levels.map((level) => quantileRanks(SPEND_DRAWS, level));
  const ranks = [...new Set(spendRanks.flat())].sort((a, b) => a - b);
  // A customer whose inputs equal an earlier one's gets that one's intervals: the draws are seeded
  // by the summary, so they would be the same (the non-buyers of a day, with no spend of their own).
  const earlierWith = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (input.skip?.(i)) continue;
    const key = customerKey(input, present, i);
    const earlier = earlierWith.get(key);
    if (earlier !== undefined) {
      copyIntervals(out, present, sources, input, earlier, i);
      continue;
    }
    if (earlierWith.size >= SHARED_PMFS) earlierWith.clear();
    earlierWith.set(key, i);
    const rng = new Xoshiro128(
      customerSeed(input.x[i]!, input.tx[i]!, input.T[i]!, input.monetary[i]!),
    );
    const spendWanted = ggDraws !== null && input.levels.length > 0;
    if (spendWanted) fillSpendRates(ggDraws, input.x[i]!, input.monetary[i]!, rng, nu, uniforms);
    for (const m of present) {
      const dist = sources.of[m](i);
      if (!dist) continue;
      const target = out[m] as ModelIntervals;
      if (target.pmf) target.pmf[i] = dist;
      const share = input.discountShare?.[m]?.[i] ?? Number.NaN;
      if (spendWanted) sampleSpend(dist, ggDraws, nu, uniforms, rng, spend, ranks);
      input.levels.forEach((level, l) => {
        const [rlo, rhi] = spendRanks[l]!;
        // Without a spend model the spend (and CLV) columns stay NaN.
        const spendInterval: [number, number] = ggDraws
          ? [spend[rlo]!, spend[rhi]!]
          : [Number.NaN, Number.NaN];
        writeInterval(target.byLevel[l]!, i, countInterval(dist, level), spendInterval, share);
      });
    }
  }
  for (const m of present) {
    const missing = sources.unevaluable[m];
    if (missing > 0) {
      (out[m] as ModelIntervals).warnings.push(
        `${m}: no interval for ${missing} customer(s) whose summary its formulas cannot evaluate`,
      );
    }
  }
  return out;
}

/** Everything a customer's intervals depend on: the summary and the mean-only models' figures. */
function customerKey(input: IntervalInput, present: IntervalModel[], i: number): string {
  let key = `${input.x[i]}|${input.tx[i]}|${input.T[i]}|${input.monetary[i]}`;
  for (const m of present) {
    if (m === "gbdt" || m === "blend") {
      key += `|${input.means?.[m]?.[i]}|${input.pPurchase?.[m]?.[i]}`;
    }
  }
  return key;
}

/** Customer i's intervals (and PMFs) from customer `from`'s, whose inputs are the same. */
function copyIntervals(
  out: Partial<Record<IntervalModel, ModelIntervals>>,
  present: IntervalModel[],
  sources: PmfSources,
  input: IntervalInput,
  from: number,
  i: number,
): void {
  for (const m of present) {
    // Asked again so that a customer without a PMF is counted (the PMF itself is shared).
    const dist = sources.of[m](i);
    if (!dist) continue;
    const target = out[m] as ModelIntervals;
    if (target.pmf) target.pmf[i] = dist;
    const share = input.discountShare?.[m]?.[i] ?? Number.NaN;
    for (const cols of target.byLevel) {
      const side = (v: Float64Array): [number, number] => [v[2 * from]!, v[2 * from + 1]!];
      writeInterval(cols, i, side(cols.purchases), side(cols.spend), share);
    }
  }
}

/**
 * Customer i's purchases and spend intervals at one level, and CLV = spend × discount share. The
 * spend's bounds are quantiles of Monte Carlo draws, the purchases' of the exact PMF: where the
 * PMF settles a spend bound, it is taken from there (no purchase: no spend; an upper bound the
 * PMF cannot place is no spend bound either). Drawn, 560 CDNOW answers had purchases [0, 0] beside
 * spend [0, 9.65], and purchases' hi null beside a spend hi of 2,459.
 */
function writeInterval(
  cols: IntervalColumns,
  i: number,
  [lo, hi]: [number, number],
  spend: [number, number],
  share: number,
): void {
  // Without a spend model the spend stays NaN (none served).
  const drawn = Number.isNaN(spend[0]) ? null : spend;
  const [slo, shi] = !drawn ? spend : hi === 0 ? [0, 0] : hi === Infinity ? [drawn[0], hi] : drawn;
  cols.purchases[2 * i] = lo;
  cols.purchases[2 * i + 1] = hi;
  cols.spend[2 * i] = slo;
  cols.spend[2 * i + 1] = shi;
  cols.clv[2 * i] = slo * share;
  cols.clv[2 * i + 1] = shi * share;
}

/** Per draw j: the Gamma-Gamma rate ν_j from the customer's posterior, and a uniform for the count. */
function fillSpendRates(
  draws: GammaGammaParams[],
  x: number,
  monetary: number,
  rng: Xoshiro128,
  nu: Float64Array,
  uniforms: Float64Array,
): void {
  const known = x > 0 && Number.isFinite(monetary) && monetary > 0;
  for (let j = 0; j < nu.length; j++) {
    const { p, q, gamma } = draws[j % draws.length]!;
    nu[j] = known ? sampleGamma(rng, q + p * x, gamma + x * monetary) : sampleGamma(rng, q, gamma);
    uniforms[j] = rng.uniform();
  }
}

/**
 * Total spend per draw: X ~ the model's PMF (common uniforms across models), Σ of X amounts. A
 * draw in the PMF's tail (past its K computed counts) has no known size: +∞, so a quantile that
 * lands among such draws is unbounded (null in the answer), as the purchases' upper bound is.
 */
function sampleSpend(
  dist: CountPmf,
  draws: GammaGammaParams[],
  nu: Float64Array,
  uniforms: Float64Array,
  rng: Xoshiro128,
  out: Float64Array,
  ranks: readonly number[],
): void {
  for (let j = 0; j < out.length; j++) {
    const k = sampleCount(dist, uniforms[j]!);
    const p = draws[j % draws.length]!.p;
    const amount = k === 0 ? 0 : sampleGamma(rng, p * k, nu[j]!);
    out[j] = k === dist.pmf.length ? Number.POSITIVE_INFINITY : amount;
  }
  selectRanks(out, ranks);
}

/** Ranks (0-based) of the equal-tailed sample quantiles of n draws (inverse empirical CDF). */
function quantileRanks(n: number, level: number): [number, number] {
  const half = (1 - level) / 2;
  const rank = (q: number) => Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return [rank(half), rank(1 - half)];
}
