// Parameter draws the Pareto/NBD formulas can evaluate. P(alive) needs the dropout term: a 2F1
// series, or a quadrature where z = |alpha − beta| / (max(alpha, beta) + t_x) is near 1. A draw from
// N(log θ̂, Σ) can land where neither can be summed (alpha or beta so near 0 beside t that the
// quadrature's panels run out) when the likelihood is flat. Such draws are rejected and redrawn (a
// bounded number of times); when most are rejected, the normal approximation says little and the
// point estimate is used.

import { type ParetoNbdParams, paretoNbdProbabilityAlive } from "../models/pareto-nbd.ts";
import { ModelInputError } from "../models/types.ts";

/** Candidates drawn per draw wanted: at most this many times as many draws are tried. */
export const DRAW_ATTEMPTS_PER_DRAW = 4;

export interface ScreenedDraws<P> {
  draws: P[];
  /** What was rejected or replaced, for the training's metrics and the response; null: nothing. */
  warning: string | null;
}

/**
 * Can the Pareto/NBD formulas be evaluated with these parameters for every customer with at most
 * `maxX` repeat purchases? The hardest summaries have t_x = 0: with the most purchases, the series
 * has the largest a = r+s+x, b (s+1 or r+x) and z, and its terms grow in each; with none, the
 * quadrature's integrand (alpha+y)^−(r+x) falls slowest away from its singularity at −alpha.
 */
export function paretoNbdEvaluable(params: ParetoNbdParams, maxX: number): boolean {
  try {
    return [0, maxX].every((x) => Number.isFinite(paretoNbdProbabilityAlive(params, x, 0, 1)));
  } catch (e) {
    if (e instanceof ModelInputError) return false;
    throw e;
  }
}

/** Where a model's draws are kept, and where rejected, as the warnings say it. */
interface DrawDomain {
  inside: string;
  outside: string;
}
const FORMULAS_DOMAIN: DrawDomain = {
  inside: "where its formulas can be evaluated",
  outside: "where its formulas cannot be evaluated",
};

/**
 * The first `wanted` evaluable draws among `candidates` (drawn in a fixed seeded order, so the
 * result is the same on every call). Fewer than `wanted` evaluable (under 1 in
 * DRAW_ATTEMPTS_PER_DRAW): the point estimate alone, i.e. process noise only, and a warning.
 */
export function screenDraws<P>(
  label: string,
  point: P,
  candidates: readonly P[],
  wanted: number,
  evaluable: (params: P) => boolean,
  domain = FORMULAS_DOMAIN,
): ScreenedDraws<P> {
  if (candidates.length <= 1) return { draws: [point], warning: null };
  const draws: P[] = [];
  let tried = 0;
  for (const candidate of candidates) {
    if (draws.length === wanted) break;
    tried++;
    if (evaluable(candidate)) draws.push(candidate);
  }
  const rejected = tried - draws.length;
  if (draws.length < wanted) {
    return {
      draws: [point],
      warning:
        `${label}: only ${draws.length} of ${tried} parameter draws lie ${domain.inside} ` +
        "(the normal approximation of the parameter uncertainty reaches far outside " +
        "the model's domain); its intervals use the point estimate (process noise only)",
    };
  }
  return {
    draws,
    warning:
      rejected === 0
        ? null
        : `${label}: ${rejected} of ${tried} parameter draws lay ${domain.outside} and were redrawn`,
  };
}
