// The maximum-likelihood fit shared by the BG/NBD, Pareto/NBD and Gamma-Gamma models: BFGS with the
// model's analytic gradient on log-parameters from several starts, reported as a FitResult.

import type { FitOptions, FitResult } from "../models/types.ts";
import { at } from "./checked-index.ts";
import {
  createEvaluationBudget,
  LIKELIHOOD_DECREMENT_TOLERANCE,
  multiStartMinimize,
  type Objective,
  type OptimizeResult,
} from "./optimizer.ts";

/**
 * Default caps of one fit (all starts together). A CDNOW-sized fit needs a few hundred
 * evaluations and well under a second; the caps only stop pathological searches (a likelihood
 * that keeps rising towards a boundary of the parameter space, or evaluations that got slow).
 */
export const DEFAULT_MAX_EVALUATIONS = 20_000;
const DEFAULT_MAX_SECONDS = 60;

/**
 * The models' shape parameters (BG/NBD r, a, b; Pareto/NBD r, s; Gamma-Gamma p, q): unit-free,
 * unlike the scales alpha, beta (time) and gamma (money), so a bound on them means the same for
 * any shop. A shape → ∞ is a homogeneous population (one purchase rate, dropout rate or mean
 * spend for everyone), the limit a likelihood approaches when the data have no heterogeneity.
 */
const SHAPE_PARAMETERS: ReadonlySet<string> = new Set(["r", "a", "b", "s", "p", "q"]);
/**
 * A shape the likelihood pushes past this is held on it while the other parameters are fitted
 * (fitWarnings calls a shape there degenerate): its gamma mixing distribution's coefficient of
 * variation is then 0.1%, as good as none. Without the ceiling, a BG/NBD fit of 20,000 customers
 * with one purchase rate ran through its 20,000 evaluations (14 s; on a million customers, three
 * 60 s fits) crawling towards r = ∞, where the likelihood is all rounding noise.
 */
export const SHAPE_LIMIT = 1e6;

/** A shape parameter at (held on, so up to rounding) or past SHAPE_LIMIT. */
export function atShapeLimit(name: string, value: number): boolean {
  return SHAPE_PARAMETERS.has(name) && value >= SHAPE_LIMIT * (1 - 1e-9);
}

/** Indices of `names` whose value in `params` is a shape at SHAPE_LIMIT (held there by the fit). */
export function heldShapes(names: readonly string[], params: object): number[] {
  const values = params as Record<string, number>;
  return names.flatMap((name, i) => (atShapeLimit(name, values[name]!) ? [i] : []));
}

function stopReason(best: OptimizeResult): FitResult<object>["stopped"] {
  if (best.atDomainEdge) return "domain-edge";
  return best.atUpperBound ? "shape-limit" : null;
}

/** How much data the likelihood sums over (the gradient tolerance scales with `customers`). */
export interface LikelihoodSize {
  customers: number;
  /** Distinct rows the customers collapsed to (equal to customers when not grouped). */
  rows: number;
}

/**
 * Fits the parameters `names` (all positive) by minimising `negLogLikelihood` over their logarithms
 * (θ_i = ln names[i], filling the gradient when asked). `starts` are in natural parameter space;
 * `options.starts` replaces them. `started` is when the caller began (data preparation counts in
 * `seconds`).
 */
export function fitByMaximumLikelihood<N extends string>(
  names: readonly N[],
  negLogLikelihood: Objective,
  size: LikelihoodSize,
  starts: number[][],
  options: FitOptions = {},
  started: number = performance.now(),
): FitResult<Record<N, number>> {
  const logStarts = (options.starts ?? starts).map((s) => s.map(Math.log));
  const fit = multiStartMinimize(negLogLikelihood, logStarts, {
    analyticGradient: true,
    decrementTolerance: LIKELIHOOD_DECREMENT_TOLERANCE,
    gradientTolerance: (options.gradientTolerance ?? 1e-7) * size.customers,
    maxIterations: options.maxIterations ?? 500,
    upperBounds: names.map((name) =>
      SHAPE_PARAMETERS.has(name) ? Math.log(SHAPE_LIMIT) : Number.POSITIVE_INFINITY,
    ),
    budget: createEvaluationBudget(
      options.maxEvaluations ?? DEFAULT_MAX_EVALUATIONS,
      options.maxSeconds ?? DEFAULT_MAX_SECONDS,
    ),
  });
  const t = fit.best.x;
  const params = {} as Record<N, number>;
  names.forEach((name, i) => {
    params[name] = Math.exp(at(t, i));
  });
  return {
    params,
    logLikelihood: -fit.best.value,
    // With a shape held at the limit, about the others: the fit is the homogeneous limit's, and
    // the whole gradient still holds the held shape's pull (calling that unconverged kept such
    // fits from being recommended while the blend built on them could be).
    converged: fit.best.converged && !fit.exhausted,
    stopped: fit.exhausted || stopReason(fit.best),
    iterations: fit.best.iterations,
    evaluations: fit.evaluations,
    starts: logStarts.length,
    startsAgreeing: fit.startsAgreeing,
    gradientNorm: fit.best.gradientNorm,
    customers: size.customers,
    rows: size.rows,
    seconds: (performance.now() - started) / 1000,
  };
}
