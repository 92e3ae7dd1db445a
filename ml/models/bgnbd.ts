// The BG/NBD model of Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way":
// Poisson purchasing at rate λ ~ Gamma(r, alpha) while alive, dropout with probability
// p ~ Beta(a, b) after each purchase. Log-likelihood (with analytic gradient), maximum-likelihood
// fit on log-parameters, and per-customer predictions in scalar and batch form.

import { at } from "../training/checked-index.ts";
import { bgnbdExpectationFactorForLargeA } from "./bgnbd-dropout-mixture.ts";
import { bgnbdExpectationFactorBySum, eulerSeriesCancels } from "./bgnbd-opportunity-sum.ts";
import { mapRfmCustomers } from "./customer-batch.ts";
import { seriesIsLong } from "./hypergeometric.ts";
import { fitRfmModel, pooledPurchaseRate, type RfmModel, rfmStandardErrors } from "./rfm-fit.ts";
import { prepareRfmRows, type RfmRows } from "./rfm-rows.ts";
import { digamma, gammaln, oneMinusPowerOverExponent } from "./special-functions.ts";
import {
  assertCustomer,
  assertPositiveParams,
  type FitOptions,
  type FitResult,
  ModelInputError,
  type RfmData,
} from "./types.ts";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

const NAMES = ["r", "alpha", "a", "b"] as const;

/** Log-likelihood of one customer's (x, t_x, T) (FHL 2005, eq. 6, in log-sum-exp form). */
export function bgnbdCustomerLogLikelihood(
  params: BgNbdParams,
  x: number,
  tx: number,
  T: number,
): number {
  const { r, alpha, a, b } = params;
  const base =
    gammaln(r + x) -
    gammaln(r) +
    r * Math.log(alpha) +
    gammaln(a + b) +
    gammaln(b + x) -
    gammaln(b) -
    gammaln(a + b + x) -
    (r + x) * Math.log(alpha + T);
  if (x === 0) return base;
  const logR = logDropoutOdds(params, x, tx, T);
  return base + log1pExp(logR);
}

/**
 * log of a/(b+x-1) · ((alpha+T)/(alpha+t_x))^(r+x): the odds that the customer died right after
 * the last purchase rather than being alive at T (x > 0).
 */
function logDropoutOdds(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  return Math.log(a / (b + x - 1)) + (r + x) * Math.log((alpha + T) / (alpha + tx));
}

function log1pExp(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/** Summed (weighted) log-likelihood of a data set. */
export function bgnbdLogLikelihood(params: BgNbdParams, data: RfmData): number {
  assertPositiveParams(params, NAMES);
  const rows = prepareRfmRows(data, false);
  const logParams = NAMES.map((k) => Math.log(params[k]));
  return -bgnbdNegLogLikelihood(rows, Float64Array.from(logParams));
}

/**
 * Negative log-likelihood at log-parameters θ = (ln r, ln alpha, ln a, ln b) and, when asked, its
 * gradient in θ. The per-x terms are computed once per distinct x; the row loop only needs two
 * logarithms, one exp and one log1p.
 */
export function bgnbdNegLogLikelihood(
  rows: RfmRows,
  theta: Float64Array,
  gradient?: Float64Array,
): number {
  const r = Math.exp(at(theta, 0));
  const alpha = Math.exp(at(theta, 1));
  const a = Math.exp(at(theta, 2));
  const b = Math.exp(at(theta, 3));
  const { base, logOddsBase, dR, dA, dB, invBx } = perXTerms(rows, r, a, b, gradient !== undefined);
  const logAlpha = Math.log(alpha);
  // log(alpha + t) and 1/(alpha + t) once per distinct T and t_x.
  const logT = logShifted(rows.TValues, alpha);
  const logTx = logShifted(rows.txValues, alpha);
  const invT = gradient ? inverseShifted(rows.TValues, alpha) : logT;
  const invTx = gradient ? inverseShifted(rows.txValues, alpha) : logTx;
  const { x: xs, weight, xIndex, TIndex, txIndex, n } = rows;
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const k = xIndex[i]!;
    const w = weight[i]!;
    const iT = TIndex[i]!;
    const lT = logT[iT]!;
    const rx = r + x;
    let li = base[k]! + r * logAlpha - rx * lT;
    let dead = 0; // posterior weight of "died after the last purchase"
    let lTtx = 0;
    if (x > 0) {
      lTtx = lT - logTx[txIndex[i]!]!;
      const logR = logOddsBase[k]! + rx * lTtx;
      if (logR > 0) {
        const e = Math.exp(-logR);
        li += logR + Math.log1p(e);
        dead = 1 / (1 + e);
      } else {
        const e = Math.exp(logR);
        li += Math.log1p(e);
        dead = e / (1 + e);
      }
    }
    ll += w * li;
    if (gradient) {
      const iA = invT[iT]!;
      gr += w * (dR[k]! + logAlpha - lT + dead * lTtx);
      gAlpha += w * (r / alpha - rx * iA + (x > 0 ? dead * rx * (iA - invTx[txIndex[i]!]!) : 0));
      ga += w * (dA[k]! + dead / a);
      gb += w * (dB[k]! - dead * invBx[k]!);
    }
  }
  if (gradient) {
    gradient[0] = -gr * r;
    gradient[1] = -gAlpha * alpha;
    gradient[2] = -ga * a;
    gradient[3] = -gb * b;
  }
  return -ll;
}

/**
 * The likelihood's terms that depend on x only, once per distinct x: the log of its gamma-function
 * ratios, the log-odds base of "died after the last purchase", and (for the gradient) their
 * derivatives in r, a and b.
 */
function perXTerms(rows: RfmRows, r: number, a: number, b: number, withGradient: boolean) {
  const m = rows.xValues.length;
  const base = new Float64Array(m);
  const logOddsBase = new Float64Array(m);
  const dR = new Float64Array(m);
  const dA = new Float64Array(m);
  const dB = new Float64Array(m);
  const invBx = new Float64Array(m);
  const lgR = gammaln(r);
  const lgAB = gammaln(a + b);
  const lgB = gammaln(b);
  const psiR = withGradient ? digamma(r) : 0;
  const psiAB = withGradient ? digamma(a + b) : 0;
  const psiB = withGradient ? digamma(b) : 0;
  for (let k = 0; k < m; k++) {
    const x = rows.xValues[k]!;
    base[k] = gammaln(r + x) - lgR + lgAB + gammaln(b + x) - lgB - gammaln(a + b + x);
    logOddsBase[k] = x > 0 ? Math.log(a / (b + x - 1)) : 0;
    if (withGradient) {
      const psiABx = digamma(a + b + x);
      dR[k] = digamma(r + x) - psiR;
      dA[k] = psiAB - psiABx;
      dB[k] = psiAB + digamma(b + x) - psiB - psiABx;
      invBx[k] = x > 0 ? 1 / (b + x - 1) : 0;
    }
  }
  return { base, logOddsBase, dR, dA, dB, invBx };
}

function logShifted(values: Float64Array, shift: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.log(shift + values[i]!);
  return out;
}

function inverseShifted(values: Float64Array, shift: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = 1 / (shift + values[i]!);
  return out;
}

/** The BG/NBD likelihood with deterministic starts scaled to the data's purchase rate. */
const BG_NBD: RfmModel<(typeof NAMES)[number]> = {
  names: NAMES,
  negLogLikelihood: bgnbdNegLogLikelihood,
  starts: (rows) => {
    const { rate } = pooledPurchaseRate(rows); // alpha is in the data's time unit
    return [
      [1, 1 / rate, 1, 1],
      [0.3, 0.3 / rate, 0.8, 2.5],
      [3, 3 / rate, 2, 8],
    ];
  },
};

/** Maximum-likelihood fit by BFGS on log-parameters from several starts (FitResult reports how it went). */
export function fitBgNbd(data: RfmData, options: FitOptions = {}): FitResult<BgNbdParams> {
  return fitRfmModel(BG_NBD, data, options);
}

/** Asymptotic standard errors of the parameters at `params` (see rfmStandardErrors). */
export function bgnbdStandardErrors(params: BgNbdParams, data: RfmData): BgNbdParams {
  return rfmStandardErrors(BG_NBD, params, data);
}

/** P(alive at T | x, t_x, T) (FHL 2005, eq. 11 / the note on P(alive)). */
export function bgnbdProbabilityAlive(
  params: BgNbdParams,
  x: number,
  tx: number,
  T: number,
): number {
  assertPositiveParams(params, NAMES);
  assertCustomer(x, tx, T);
  if (x === 0) return 1;
  const logR = logDropoutOdds(params, x, tx, T);
  return logR > 0 ? Math.exp(-logR) / (1 + Math.exp(-logR)) : 1 / (1 + Math.exp(logR));
}

/**
 * [1 − (1−z)^(r+x) 2F1(r+x, b+x; a+b+x−1; z)] / (a − 1) with z = t/(alpha+T+t), the factor of the
 * BG/NBD conditional expectation (FHL 2005, eq. 10). Euler's transformation turns it into
 * (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b+x−1; z), whose (a−1) factor cancels term by term, so there is
 * no singularity at a = 1 and no overflow for large x; the series converges at rate z.
 */
function expectationFactor(params: BgNbdParams, t: number, x: number, T: number): number {
  const { alpha } = params;
  const u = t / (alpha + T);
  return factorFrom(params, t / (alpha + T + t), -Math.log1p(u), u, x);
}

/**
 * The same factor at z = t/(alpha+T+t): for the CLV grid's curve where its coefficients overflow
 * (a in the thousands), since this series multiplies each term by z as it goes.
 */
export function bgnbdExpectationFactorAtZ(params: BgNbdParams, z: number, x: number): number {
  return factorFrom(params, z, Math.log1p(-z), z / (1 - z), x);
}

/** expectationFactor with z, ln(1 − z) and u = z/(1 − z) = t/(alpha+T) given. */
function factorFrom(params: BgNbdParams, z: number, log1mz: number, u: number, x: number) {
  const { r, a, b } = params;
  // a large (one dropout probability for everyone): the series is long and its sum overflows.
  if (seriesIsLong(a, z)) {
    const factor = bgnbdExpectationFactorForLargeA(params, u, x);
    if (!Number.isNaN(factor)) return factor;
  }
  // r large beside a + b and a long horizon: the series alternates and cancels; sum positives.
  if (eulerSeriesCancels(params, z)) return factorBySum(params, z, u, x);
  const A = a + b - 1 - r;
  const C = a + b + x - 1;
  // S = Σ_{n≥1} (A)_n (a)_{n−1} / ((C)_n n!) z^n
  let term = (A / C) * z;
  let sum = term;
  const settled = Math.max(0, -A) + 1;
  let converged = term === 0;
  for (let n = 1; n < 200_000 && !converged; n++) {
    const ratio = ((A + n) * (a + n - 1)) / ((C + n) * (n + 1));
    term *= ratio * z;
    sum += term;
    if (term === 0) converged = true;
    else if (n >= settled) {
      const rho = Math.max(Math.abs(ratio * z), z);
      if (rho < 1 && (Math.abs(term) * rho) / (1 - rho) <= 1e-15 * Math.abs(sum)) converged = true;
    }
  }
  if (!converged) {
    throw new ModelInputError(
      "t",
      `series did not converge for t/(alpha+T+t) = ${z} (too close to 1)`,
    );
  }
  return oneMinusPowerOverExponent(log1mz, a - 1) - Math.exp((a - 1) * log1mz) * sum;
}

/** bgnbdExpectationFactorBySum, or an error naming t when the horizon holds too many purchases. */
function factorBySum(params: BgNbdParams, z: number, u: number, x: number): number {
  const factor = bgnbdExpectationFactorBySum(params, u, x);
  if (Number.isNaN(factor)) {
    throw new ModelInputError(
      "t",
      `about ${Math.round((params.r + x) * u)} purchase opportunities in the horizon (t/(alpha+T+t) = ${z}): too long a horizon for these parameters`,
    );
  }
  return factor;
}

function assertHorizon(t: number): void {
  if (!(t >= 0) || !Number.isFinite(t)) {
    throw new ModelInputError("t", `expected a finite number >= 0, got ${t}`);
  }
}

/** E[purchases in (T, T+t] | x, t_x, T] (FHL 2005, eq. 10). */
export function bgnbdExpectedPurchases(
  params: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  assertHorizon(t);
  return bgnbdExpectedPurchasesGivenPAlive(
    params,
    t,
    x,
    T,
    bgnbdProbabilityAlive(params, x, tx, T),
  );
}

/**
 * bgnbdExpectedPurchases with the customer's P(alive) already known (`t` checked by the caller):
 * a batch computes P(alive) once per customer for this, P(purchase) and the CLV curve.
 */
export function bgnbdExpectedPurchasesGivenPAlive(
  params: BgNbdParams,
  t: number,
  x: number,
  T: number,
  pAlive: number,
): number {
  if (t === 0) return 0;
  const { a, b } = params;
  return (a + b + x - 1) * expectationFactor(params, t, x, T) * pAlive;
}

/** E[X(t)] for a customer just acquired (FHL 2005, eq. 9). */
export function bgnbdExpectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  assertHorizon(t);
  assertPositiveParams(params, NAMES);
  if (t === 0) return 0;
  return (params.a + params.b - 1) * expectationFactor(params, t, 0, 0);
}

/**
 * P(at least one purchase in (T, T+t] | x, t_x, T). A customer alive at T can only die right after
 * a purchase, so "no purchase in the window" for an alive customer has probability E[e^(−λt)]
 * under the posterior λ ~ Gamma(r+x, alpha+T), i.e. ((alpha+T)/(alpha+T+t))^(r+x). Equals the
 * likelihood ratio 1 − L(x, t_x, T+t)/L(x, t_x, T) (checked in the tests).
 */
export function bgnbdProbabilityOfPurchase(
  params: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  assertHorizon(t);
  return bgnbdProbabilityOfPurchaseGivenPAlive(
    params,
    t,
    x,
    T,
    bgnbdProbabilityAlive(params, x, tx, T),
  );
}

/** bgnbdProbabilityOfPurchase with the customer's P(alive) already known (`t` checked). */
export function bgnbdProbabilityOfPurchaseGivenPAlive(
  params: BgNbdParams,
  t: number,
  x: number,
  T: number,
  pAlive: number,
): number {
  return pAlive * -Math.expm1(-(params.r + x) * Math.log1p(t / (params.alpha + T)));
}

/**
 * The exponent k that carries a probability of purchase from horizon H to h the way BG/NBD's own
 * does for this customer: 1 − P(h) = (1 − P(H))^k. A model scored at H only (the GBDT, the blend)
 * borrows it; k = E[X(h)] / E[X(H)], a Poisson's, ignored that a customer who has left buys at no
 * horizon, and put the GBDT's 13-week P(purchase) carried to 39 weeks 20% above the share that
 * bought (BG/NBD's own: 2.5%).
 */
export function bgnbdPurchaseExponent(
  params: BgNbdParams,
  h: number,
  H: number,
  x: number,
  T: number,
  pAlive: number,
): number {
  const logNone = (t: number) =>
    Math.log1p(-bgnbdProbabilityOfPurchaseGivenPAlive(params, t, x, T, pAlive));
  const atH = logNone(H);
  return atH < 0 && Number.isFinite(atH) ? logNone(h) / atH : h / H;
}

export function bgnbdExpectedPurchasesBatch(
  params: BgNbdParams,
  t: number,
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  out?: Float64Array,
): Float64Array {
  assertPositiveParams(params, NAMES);
  return mapRfmCustomers(
    x,
    tx,
    T,
    (xi, txi, Ti) => bgnbdExpectedPurchases(params, t, xi, txi, Ti),
    out,
  );
}
