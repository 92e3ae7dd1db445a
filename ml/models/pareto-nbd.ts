// The Pareto/NBD model of Schmittlein, Morrison & Colombo (1987): Poisson purchasing at rate
// λ ~ Gamma(r, alpha) while alive, exponential lifetime at rate μ ~ Gamma(s, beta). Likelihood in
// the 2F1 form of Fader, Hardie & Shang (BTYD `pnbd.LL`), evaluated in log space; ML fit on
// log-parameters; per-customer predictions in scalar and batch form.

import { at } from "../training/checked-index.ts";
import { mapRfmCustomers } from "./customer-batch.ts";
import { Hyp2f1ConvergenceError, hyp2f1, seriesIsLong } from "./hypergeometric.ts";
import { logDeathIntegral, tailIntegral } from "./pareto-nbd-dropout-integral.ts";
import { isShortWindow, paretoNbdPurchaseIfAliveInShortWindow } from "./pareto-nbd-short-window.ts";
import { fitRfmModel, pooledPurchaseRate, type RfmModel, rfmStandardErrors } from "./rfm-fit.ts";
import { prepareRfmRows, type RfmRows } from "./rfm-rows.ts";
import {
  digamma,
  gammaln,
  logAddExp,
  logSubExp,
  oneMinusPowerOverExponent,
} from "./special-functions.ts";
import {
  assertCustomer,
  assertPositiveParams,
  type FitOptions,
  type FitResult,
  ModelInputError,
  type RfmData,
} from "./types.ts";

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

const NAMES = ["r", "alpha", "s", "beta"] as const;

/**
 * The two parts of a customer's log-likelihood besides the constant
 * lnΓ(r+x) − lnΓ(r) + r ln alpha + s ln beta: `alive` (alive at T) and `died` (died in (t_x, T]).
 * died = ln s − ln(r+s+x) + ln A0 with A0 = F1/(m+t_x)^(r+s+x) − F2/(m+T)^(r+s+x),
 * F = 2F1(r+s+x, s+1 or r+x; r+s+x+1; |alpha−beta|/(m+·)), m = max(alpha, beta). `f1` and `f2`
 * are F1 and F2 (NaN when not summed), for a caller whose next interval starts at t_x or at T.
 */
function logLikelihoodParts(
  params: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
  /** F1 (it depends on t_x, not T) when already known for this customer. */
  knownF1?: number,
): { alive: number; died: number; f1: number; f2: number } {
  const { r, alpha, s, beta } = params;
  const alive = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const rsx = r + s + x;
  const m = Math.max(alpha, beta);
  const d = Math.abs(alpha - beta);
  const second = alpha >= beta ? s + 1 : r + x;
  let logA0: number;
  let f1 = Number.NaN;
  let f2 = Number.NaN;
  if (tx >= T) {
    logA0 = Number.NEGATIVE_INFINITY;
  } else if (d === 0) {
    // alpha = beta: the integrand is (m+y)^−(r+s+x+1), integrated in closed form.
    logA0 = -rsx * Math.log(m + tx) + Math.log(-Math.expm1(rsx * Math.log((m + tx) / (m + T))));
  } else {
    const z1 = d / (m + tx);
    // z near 1 (or rounded to 1): the series would take thousands of terms; the quadrature,
    // a few hundred nodes.
    const series = seriesIsLong(second, z1)
      ? null
      : logA0BySeries(rsx, second, m + tx, m + T, d, knownF1);
    if (series) ({ logA0, f1, f2 } = series);
    else logA0 = Math.log(rsx) + logDeathIntegral(params, x, tx, T);
    // −∞ is a value (an interval too short to die in); NaN or +∞ is not.
    if (Number.isNaN(logA0) || logA0 === Number.POSITIVE_INFINITY) {
      throw new ModelInputError(
        "params",
        `the dropout term at |alpha - beta| / (max(alpha, beta) + t) = ${z1} is not finite`,
      );
    }
  }
  return { alive, died: Math.log(s) - Math.log(rsx) + logA0, f1, f2 };
}

/**
 * ln A0 = ln(F1/U1^(r+s+x) − F2/U2^(r+s+x)), F = 2F1(r+s+x, second; r+s+x+1; d/U); null when a
 * series does not converge to 8 digits (the caller integrates instead).
 */
function logA0BySeries(
  rsx: number,
  second: number,
  u1: number,
  u2: number,
  d: number,
  knownF1: number | undefined,
): { logA0: number; f1: number; f2: number } | null {
  try {
    const f1 = knownF1 ?? hyp2f1(rsx, second, rsx + 1, d / u1);
    const f2 = hyp2f1(rsx, second, rsx + 1, d / u2);
    const l1 = Math.log(f1) - rsx * Math.log(u1);
    const l2 = Math.log(f2) - rsx * Math.log(u2);
    return { logA0: l1 > l2 ? logSubExp(l1, l2) : Number.NEGATIVE_INFINITY, f1, f2 };
  } catch (e) {
    if (e instanceof Hyp2f1ConvergenceError) return null;
    throw e;
  }
}

/** Log-likelihood of one customer's (x, t_x, T). */
export function paretoNbdCustomerLogLikelihood(
  params: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
): number {
  const { r, alpha, s, beta } = params;
  const { alive, died } = logLikelihoodParts(params, x, tx, T);
  return (
    gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta) + logAddExp(alive, died)
  );
}

/** Distinct (x, t) pairs of a data set and each row's pair, for t = t_x and t = T. */
interface PairIndex {
  x: Float64Array;
  t: Float64Array;
  index: Uint32Array;
}

function pairIndex(rows: RfmRows, t: Float64Array, tIndex: Uint32Array, tCount: number): PairIndex {
  const seen = new Map<number, number>();
  const xs: number[] = [];
  const ts: number[] = [];
  const index = new Uint32Array(rows.n);
  for (let i = 0; i < rows.n; i++) {
    const key = rows.xIndex[i]! * tCount + tIndex[i]!;
    let k = seen.get(key);
    if (k === undefined) {
      k = xs.length;
      seen.set(key, k);
      xs.push(rows.x[i]!);
      ts.push(t[i]!);
    }
    index[i] = k;
  }
  return { x: Float64Array.from(xs), t: Float64Array.from(ts), index };
}

const pairCache = new WeakMap<RfmRows, { atTx: PairIndex; atT: PairIndex }>();

function pairsOf(rows: RfmRows): { atTx: PairIndex; atT: PairIndex } {
  let pairs = pairCache.get(rows);
  if (!pairs) {
    pairs = {
      atTx: pairIndex(rows, rows.tx, rows.txIndex, rows.txValues.length),
      atT: pairIndex(rows, rows.T, rows.TIndex, rows.TValues.length),
    };
    pairCache.set(rows, pairs);
  }
  return pairs;
}

/**
 * Most terms one half's series may take in the fit: a safety net, since a half whose series
 * would be long (seriesIsLong: z near 1) is integrated instead. Before that, the
 * fit could not go where everyone buys or drops out at nearly one rate (a shape → ∞): it stopped
 * at a "domain edge" or ran to its time limit on ~20,000-term series.
 */
const SERIES_TERM_CAP = 20_000;

/** ln H and its derivatives in (r, alpha, s, beta), one entry per (x, t) pair. */
interface Halves {
  logH: Float64Array;
  dR: Float64Array;
  dAlpha: Float64Array;
  dS: Float64Array;
  dBeta: Float64Array;
}

function newHalves(n: number): Halves {
  return {
    logH: new Float64Array(n),
    dR: new Float64Array(n),
    dAlpha: new Float64Array(n),
    dS: new Float64Array(n),
    dBeta: new Float64Array(n),
  };
}

/**
 * The "died in (t_x, T]" term is s·J with J = ∫_{t_x}^T (alpha+y)^−(r+x) (beta+y)^−(s+1) dy
 * = H(t_x) − H(T). Expanding the factor with the smaller rate around the larger one
 * (m = max(alpha, beta), d = |alpha − beta|, U = m + t, z = d/U, a = r+s+x, b = s+1 or r+x):
 *   H(t) = U^−a Σ_n (b)_n z^n / (n! (a+n))  (= U^−a 2F1(a, b; a+1; z)/a, the BTYD form),
 * and the same series differentiated term by term gives ∂ln H/∂(a, b, z) — hence an exact
 * gradient of the likelihood. Fills ln H and its derivatives in (r, alpha, s, beta) per pair,
 * by quadrature where z is so near 1 that the series would be long; NaN when neither converges.
 */
function fillHalves(
  params: ParetoNbdParams,
  pairs: PairIndex,
  out: Halves,
  gradient: boolean,
): boolean {
  const { r, alpha, s, beta } = params;
  const alphaLarger = alpha >= beta;
  const m = alphaLarger ? alpha : beta;
  const d = alphaLarger ? alpha - beta : beta - alpha;
  for (let k = 0; k < pairs.x.length; k++) {
    const x = pairs.x[k]!;
    const a = r + s + x;
    const b = alphaLarger ? s + 1 : r + x;
    const U = m + pairs.t[k]!;
    const z = d / U;
    if (seriesIsLong(b, z)) {
      if (!fillHalfByQuadrature(params, pairs.x[k]!, pairs.t[k]!, out, k, gradient)) return false;
      continue;
    }
    // Σ T_n/(a+n), T_n = (b)_n z^n/n!; with derivatives in a (−Σ T_n/(a+n)²), in b
    // (Σ T_n B_n/(a+n), B_n = Σ_{j<n} 1/(b+j)) and in z (Σ_{n≥1} D_n/(a+n), D_n = (b)_n z^(n−1)/(n−1)!).
    let term = 1;
    let harmonic = 0;
    let s0 = 1 / a;
    let sa = -1 / (a * a);
    let sb = 0;
    let sz = 0;
    let converged = z === 0;
    if (z === 0 && gradient) sz = b / (a + 1);
    for (let n = 0; n < SERIES_TERM_CAP && !converged; n++) {
      const dTerm = term * (b + n); // D_{n+1} = T_n (b+n)
      const inv = 1 / (a + n + 1);
      if (gradient) {
        sz += dTerm * inv;
        harmonic += 1 / (b + n);
      }
      term = (dTerm * z) / (n + 1);
      const contribution = term * inv;
      s0 += contribution;
      if (gradient) {
        sa -= contribution * inv;
        sb += contribution * harmonic;
      }
      // Later terms shrink by at most max(z(b+n+1)/(n+2), z) each (the ratio is monotone in n
      // and tends to z): bound the tail by that geometric series.
      const rho = Math.max((z * (b + n + 1)) / (n + 2), z);
      if (rho < 1 && (contribution * rho) / (1 - rho) <= 1e-15 * s0) converged = true;
    }
    const logU = Math.log(U);
    if (!converged || !Number.isFinite(s0)) {
      // One pair is enough to make the likelihood NaN: stop before summing the others' series,
      // each of which may also run to the term cap (this made such evaluations take ~1 s).
      out.logH[k] = Number.NaN;
      return false;
    }
    out.logH[k] = -a * logU + Math.log(s0);
    if (!gradient) continue;
    const dA = -logU + sa / s0; // ∂ln H/∂a
    const dB = sb / s0;
    const dZ = sz / s0;
    const dUfromZ = (-dZ * z) / U; // ∂ln H/∂U through z = d/U
    const dU = -a / U + dUfromZ;
    if (alphaLarger) {
      // a = r+s+x, b = s+1, d = alpha − beta, U = alpha + t
      out.dR[k] = dA;
      out.dS[k] = dA + dB;
      out.dAlpha[k] = dZ / U + dU;
      out.dBeta[k] = -dZ / U;
    } else {
      // a = r+s+x, b = r+x, d = beta − alpha, U = beta + t
      out.dR[k] = dA + dB;
      out.dS[k] = dA;
      out.dAlpha[k] = -dZ / U;
      out.dBeta[k] = dZ / U + dU;
    }
  }
  return true;
}

/** One pair's half by quadrature (z near 1); false, with ln H = NaN, if it cannot be summed. */
function fillHalfByQuadrature(
  params: ParetoNbdParams,
  x: number,
  t: number,
  out: Halves,
  k: number,
  gradient: boolean,
): boolean {
  const half = tailIntegral(params, x, t, gradient);
  if (!half || !Number.isFinite(half.logH)) {
    out.logH[k] = Number.NaN;
    return false;
  }
  out.logH[k] = half.logH;
  out.dR[k] = half.dR;
  out.dAlpha[k] = half.dAlpha;
  out.dS[k] = half.dS;
  out.dBeta[k] = half.dBeta;
  return true;
}

/**
 * Negative log-likelihood at θ = (ln r, ln alpha, ln s, ln beta) and, when asked, its exact
 * gradient in θ. The series halves of the "died" term are computed once per distinct (x, t_x) and
 * (x, T) pair, which on a day grid is far fewer than the rows. NaN when a series does not
 * converge (the optimizer treats that as a bad point). Its row loop stays in one piece (95 lines):
 * it is the fit's hot path, and the gradient reuses the row's likelihood terms in registers.
 */
export function paretoNbdNegLogLikelihood(
  rows: RfmRows,
  theta: Float64Array,
  gradient?: Float64Array,
): number {
  const logAlpha = at(theta, 1);
  const logS = at(theta, 2);
  const logBeta = at(theta, 3);
  const params = {
    r: Math.exp(at(theta, 0)),
    alpha: Math.exp(logAlpha),
    s: Math.exp(logS),
    beta: Math.exp(logBeta),
  };
  const { r, alpha, s, beta } = params;
  const withGradient = gradient !== undefined;
  const { base, dBase, logAlphaT, logBetaT } = distinctValueTerms(rows, params, withGradient);
  const pairs = pairsOf(rows);
  const h1 = scratchHalves(rows, "atTx", pairs.atTx.x.length);
  const h2 = scratchHalves(rows, "atT", pairs.atT.x.length);
  if (!fillHalves(params, pairs.atTx, h1, withGradient)) return Number.NaN;
  if (!fillHalves(params, pairs.atT, h2, withGradient)) return Number.NaN;
  const constant = r * logAlpha + s * logBeta;
  const { x: xs, tx, T, weight, xIndex, TIndex } = rows;
  const i1 = pairs.atTx.index;
  const i2 = pairs.atT.index;
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let gs = 0;
  let gBeta = 0;
  // Every index read below comes from the rows' own index arrays, so it is in range.
  for (let i = 0; i < rows.n; i++) {
    const k = xIndex[i]!;
    const iT = TIndex[i]!;
    const rx = r + xs[i]!;
    const alive = -rx * logAlphaT[iT]! - s * logBetaT[iT]!;
    let li = base[k]! + constant + alive;
    let wDied = 0; // posterior probability of having died in (t_x, T]
    let died = Number.NEGATIVE_INFINITY;
    let j1 = 0;
    let j2 = 0;
    let ratio = 0;
    if (tx[i]! < T[i]!) {
      j1 = i1[i]!;
      j2 = i2[i]!;
      const a1 = h1.logH[j1]!;
      const a2 = h2.logH[j2]!;
      if (Number.isNaN(a1) || Number.isNaN(a2)) return Number.NaN;
      if (a1 > a2) {
        ratio = Math.exp(a2 - a1);
        died = logS + a1 + Math.log1p(-ratio);
        if (died > alive) {
          const e = Math.exp(alive - died);
          li += died - alive + Math.log1p(e);
          wDied = 1 / (1 + e);
        } else {
          const e = Math.exp(died - alive);
          li += Math.log1p(e);
          wDied = e / (1 + e);
        }
      }
    }
    const w = weight[i]!;
    ll += w * li;
    if (withGradient) {
      const wAlive = 1 - wDied;
      const invAT = 1 / (alpha + T[i]!);
      const invBT = 1 / (beta + T[i]!);
      let dDiedR = 0;
      let dDiedAlpha = 0;
      let dDiedS = 0;
      let dDiedBeta = 0;
      if (wDied > 0) {
        // ∂ ln(H1 − H2) = (∂ln H1 − ρ ∂ln H2)/(1 − ρ), ρ = H2/H1
        const scale = 1 / (1 - ratio);
        dDiedR = (h1.dR[j1]! - ratio * h2.dR[j2]!) * scale;
        dDiedAlpha = (h1.dAlpha[j1]! - ratio * h2.dAlpha[j2]!) * scale;
        dDiedS = 1 / s + (h1.dS[j1]! - ratio * h2.dS[j2]!) * scale;
        dDiedBeta = (h1.dBeta[j1]! - ratio * h2.dBeta[j2]!) * scale;
      }
      gr += w * (dBase[k]! + logAlpha - wAlive * logAlphaT[iT]! + wDied * dDiedR);
      gAlpha += w * (r / alpha - wAlive * rx * invAT + wDied * dDiedAlpha);
      gs += w * (logBeta - wAlive * logBetaT[iT]! + wDied * dDiedS);
      gBeta += w * (s / beta - wAlive * s * invBT + wDied * dDiedBeta);
    }
  }
  if (gradient) {
    gradient[0] = -gr * r;
    gradient[1] = -gAlpha * alpha;
    gradient[2] = -gs * s;
    gradient[3] = -gBeta * beta;
  }
  return -ll;
}

/** Per-evaluation terms computed once per distinct x and per distinct T instead of per row. */
interface DistinctValueTerms {
  /** ln Γ(r+x) − ln Γ(r) per distinct x, and its derivative in r. */
  base: Float64Array;
  dBase: Float64Array;
  /** ln(alpha + T) and ln(beta + T) per distinct T. */
  logAlphaT: Float64Array;
  logBetaT: Float64Array;
}

function distinctValueTerms(
  rows: RfmRows,
  { r, alpha, beta }: ParetoNbdParams,
  withGradient: boolean,
): DistinctValueTerms {
  const { xValues, TValues } = rows;
  const m = xValues.length;
  const lgR = gammaln(r);
  const psiR = withGradient ? digamma(r) : 0;
  const base = new Float64Array(m);
  const dBase = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    base[k] = gammaln(r + xValues[k]!) - lgR;
    if (withGradient) dBase[k] = digamma(r + xValues[k]!) - psiR;
  }
  const nT = TValues.length;
  const logAlphaT = new Float64Array(nT);
  const logBetaT = new Float64Array(nT);
  for (let k = 0; k < nT; k++) {
    logAlphaT[k] = Math.log(alpha + TValues[k]!);
    logBetaT[k] = Math.log(beta + TValues[k]!);
  }
  return { base, dBase, logAlphaT, logBetaT };
}

const halvesCache = new WeakMap<RfmRows, { atTx?: Halves; atT?: Halves }>();

/** Scratch arrays reused across evaluations of the same rows. */
function scratchHalves(rows: RfmRows, which: "atTx" | "atT", n: number): Halves {
  let entry = halvesCache.get(rows);
  if (!entry) {
    entry = {};
    halvesCache.set(rows, entry);
  }
  let h = entry[which];
  if (!h || h.logH.length !== n) {
    h = newHalves(n);
    entry[which] = h;
  }
  return h;
}

/** Summed (weighted) log-likelihood of a data set. */
export function paretoNbdLogLikelihood(params: ParetoNbdParams, data: RfmData): number {
  assertPositiveParams(params, NAMES);
  const rows = prepareRfmRows(data, false);
  return -paretoNbdNegLogLikelihood(rows, Float64Array.from(NAMES.map((k) => Math.log(params[k]))));
}

/** The Pareto/NBD likelihood with starts scaled to the data's purchase rate and mean T. */
const PARETO_NBD: RfmModel<(typeof NAMES)[number]> = {
  names: NAMES,
  negLogLikelihood: paretoNbdNegLogLikelihood,
  starts: (rows) => {
    const { rate, meanT } = pooledPurchaseRate(rows);
    return [
      [1, 1 / rate, 1, meanT],
      [0.5, 0.5 / rate, 0.5, meanT / 2],
      [2, 2 / rate, 2, 4 * meanT],
    ];
  },
};

/**
 * Maximum-likelihood fit by BFGS (exact gradient) on log-parameters from several starts, with a
 * Nelder-Mead fallback for a start that does not converge.
 */
export function fitParetoNbd(data: RfmData, options: FitOptions = {}): FitResult<ParetoNbdParams> {
  return fitRfmModel(PARETO_NBD, data, options);
}

/** Asymptotic standard errors at `params` (observed information, delta method). */
export function paretoNbdStandardErrors(params: ParetoNbdParams, data: RfmData): ParetoNbdParams {
  return rfmStandardErrors(PARETO_NBD, params, data);
}

function assertHorizon(t: number): void {
  if (!(t >= 0) || !Number.isFinite(t)) {
    throw new ModelInputError("t", `expected a finite number >= 0, got ${t}`);
  }
}

/** P(alive at T | x, t_x, T): the "alive" share of the likelihood. */
export function paretoNbdProbabilityAlive(
  params: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
): number {
  assertPositiveParams(params, NAMES);
  assertCustomer(x, tx, T);
  const { alive, died } = logLikelihoodParts(params, x, tx, T);
  return 1 / (1 + Math.exp(died - alive));
}

/**
 * E[purchases in (T, T+t] | x, t_x, T] = P(alive) · (r+x)(beta+T)/((alpha+T)(s−1)) ·
 * [1 − ((beta+T)/(beta+T+t))^(s−1)] (Schmittlein et al. 1987), continuous through s = 1.
 */
export function paretoNbdExpectedPurchases(
  params: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  assertHorizon(t);
  const pAlive = paretoNbdProbabilityAlive(params, x, tx, T);
  const { r, alpha, s, beta } = params;
  const logU = -Math.log1p(t / (beta + T));
  return ((pAlive * (r + x) * (beta + T)) / (alpha + T)) * oneMinusPowerOverExponent(logU, s - 1);
}

/** E[X(t)] for a customer just acquired: r beta/(alpha (s−1)) · [1 − (beta/(beta+t))^(s−1)]. */
export function paretoNbdExpectedPurchasesNewCustomer(params: ParetoNbdParams, t: number): number {
  assertHorizon(t);
  assertPositiveParams(params, NAMES);
  const { r, alpha, s, beta } = params;
  return ((r * beta) / alpha) * oneMinusPowerOverExponent(-Math.log1p(t / beta), s - 1);
}

/**
 * P(at least one purchase in (T, T+t] | x, t_x, T) = 1 − L(x, t_x, T+t)/L(x, t_x, T): the history
 * extended by a purchase-free window, over the history (the likelihood of "no purchase in
 * (T, T+t]" given what was seen), which integrates over the joint posterior of λ and μ exactly.
 * Computed as P(alive) · P(purchase | alive at T), the same value (purchaseIfAlive).
 */
export function paretoNbdProbabilityOfPurchase(
  params: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  return paretoNbdAliveAndPurchase(params, t, x, tx, T).pPurchase;
}

/**
 * P(alive) and P(purchase in (T, T+t]) together, equal to the two functions above: they share the
 * likelihood at T, whose 2F1 at T starts the window's, so three 2F1 series are summed, not six.
 */
export function paretoNbdAliveAndPurchase(
  params: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): { pAlive: number; pPurchase: number } {
  assertHorizon(t);
  assertPositiveParams(params, NAMES);
  assertCustomer(x, tx, T);
  const now = logLikelihoodParts(params, x, tx, T);
  const pAlive = 1 / (1 + Math.exp(now.died - now.alive));
  if (t === 0) return { pAlive, pPurchase: 0 };
  return { pAlive, pPurchase: pAlive * purchaseIfAlive(params, t, x, T, now) };
}

/**
 * P(a purchase in (T, T+t] | alive at T) = 1 − (A(T+t) + D(T, T+t))/A(T): of the likelihood's
 * alive-at-T part A, what is left once the window holds no purchase (alive through it, or died
 * in it). Not 1 − L(T+t)/L(T), which subtracts two likelihoods equal to rounding for a lapsed
 * customer (P(alive) 1e-16 answered 0): multiplied by P(alive) it keeps its relative precision.
 * A short window subtracts nearly equal terms here too (pareto-nbd-short-window.ts).
 */
function purchaseIfAlive(
  params: ParetoNbdParams,
  t: number,
  x: number,
  T: number,
  now: { alive: number; f2: number },
): number {
  if (isShortWindow(params, t, x, T)) return paretoNbdPurchaseIfAliveInShortWindow(params, t, x, T);
  // The window's dropout term starts at T, where the likelihood's 2F1 was summed (F2).
  const window = logLikelihoodParts(params, x, T, T + t, Number.isNaN(now.f2) ? undefined : now.f2);
  return -Math.expm1(logAddExp(window.alive, window.died) - now.alive);
}

export function paretoNbdExpectedPurchasesBatch(
  params: ParetoNbdParams,
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
    (xi, txi, Ti) => paretoNbdExpectedPurchases(params, t, xi, txi, Ti),
    out,
  );
}
