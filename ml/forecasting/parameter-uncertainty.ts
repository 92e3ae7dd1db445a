// Parameter uncertainty of the fitted BTYD and Gamma-Gamma models: the covariance of the
// log-parameters from the observed information (inverse Hessian of the negative log-likelihood at
// the MLE), and a seeded parametric bootstrap from its normal approximation. Intervals mix the
// customer's predictive distribution over these draws, so they carry parameter and process noise.

import { type BgNbdParams, bgnbdNegLogLikelihood } from "../models/bgnbd.ts";
import { type GammaGammaParams, gammaGammaLogLikelihood } from "../models/gamma-gamma.ts";
import { type ParetoNbdParams, paretoNbdNegLogLikelihood } from "../models/pareto-nbd.ts";
import { prepareRfmRows } from "../models/rfm-rows.ts";
import type { RfmData } from "../models/types.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleStandardNormal } from "../sim/samplers.ts";
import { heldShapes } from "../training/maximum-likelihood.ts";
import { embedded, informationOnFree } from "../training/standard-errors.ts";

export const BGNBD_NAMES = ["r", "alpha", "a", "b"] as const;
export const PARETO_NAMES = ["r", "alpha", "s", "beta"] as const;
export const GAMMA_GAMMA_NAMES = ["p", "q", "gamma"] as const;

/** Row-major covariance of the log-parameters, in the order of the model's *_NAMES; null if unknown. */
export interface ParameterCovariances {
  bgnbd: number[] | null;
  pareto_nbd: number[] | null;
  gamma_gamma: number[] | null;
  /** BTYD models whose intervals are left out, with the reason (absent: none). */
  omitted?: Partial<Record<"bgnbd" | "pareto_nbd", string>>;
}

/** Why a fit that stopped at the edge of its likelihood's domain gets no intervals. */
export const DOMAIN_EDGE_OMISSION =
  "the fit stopped at the edge of the region where its likelihood can be evaluated, so the " +
  "observed information does not describe its parameter uncertainty and draws around it fall " +
  "outside the domain: no intervals for this model";

/**
 * The inverse Hessian of the negative log-likelihood in the log-parameters, or null. A shape held
 * at SHAPE_LIMIT (a homogeneous population: its mixing distribution is a point) is not uncertain
 * in the model as fitted: the Hessian is taken over the other parameters, and the held shape gets
 * a zero row and column, so draws keep it where the fit held it. So does a parameter along which
 * the likelihood is flat (invertInformation: a log with no dropout leaves a and b, or s and beta,
 * unidentified, and the forecast as fitted does not depend on them).
 */
function covarianceOf(
  negLogLikelihood: (theta: Float64Array) => number,
  params: object,
  names: readonly string[],
): number[] | null {
  const theta = names.map((k) => Math.log((params as Record<string, number>)[k]!));
  const held = heldShapes(names, params);
  const { free, inverted } = informationOnFree(negLogLikelihood, theta, held);
  if (!inverted?.inverse.every(Number.isFinite)) return null;
  return Array.from(embedded(inverted.inverse, free, names.length));
}

/**
 * Covariances at the fitted parameters (null where the Hessian is not positive definite). A BTYD
 * fit that `stopped` at the domain's edge gets none, and its intervals are `omitted`; one with a
 * shape held at its limit gets the covariance of the others (see covarianceOf).
 */
export function parameterCovariances(
  data: RfmData & { monetary?: Float64Array },
  fitted: { bgnbd: BgNbdParams; paretoNbd: ParetoNbdParams; gammaGamma: GammaGammaParams | null },
  stopped: Partial<Record<"bgnbd" | "paretoNbd", string | null>> = {},
): ParameterCovariances {
  const rows = prepareRfmRows(data);
  const monetary = data.monetary;
  const atEdge = (m: "bgnbd" | "paretoNbd") => stopped[m] === "domain-edge";
  const omitted: NonNullable<ParameterCovariances["omitted"]> = {};
  if (atEdge("bgnbd")) omitted.bgnbd = DOMAIN_EDGE_OMISSION;
  if (atEdge("paretoNbd")) omitted.pareto_nbd = DOMAIN_EDGE_OMISSION;
  return {
    ...(Object.keys(omitted).length > 0 ? { omitted } : {}),
    bgnbd: atEdge("bgnbd")
      ? null
      : covarianceOf((t) => bgnbdNegLogLikelihood(rows, t), fitted.bgnbd, BGNBD_NAMES),
    pareto_nbd: atEdge("paretoNbd")
      ? null
      : covarianceOf((t) => paretoNbdNegLogLikelihood(rows, t), fitted.paretoNbd, PARETO_NAMES),
    gamma_gamma:
      fitted.gammaGamma && monetary
        ? covarianceOf(
            (t) =>
              -gammaGammaLogLikelihood(
                { p: Math.exp(t[0]!), q: Math.exp(t[1]!), gamma: Math.exp(t[2]!) },
                { x: data.x, monetary },
              ),
            fitted.gammaGamma,
            GAMMA_GAMMA_NAMES,
          )
        : null,
  };
}

/** Row i of the covariance is all zeros (a parameter held where its fit put it). */
function heldRow(cov: readonly number[], n: number, i: number): boolean {
  for (let j = 0; j < n; j++) if (cov[i * n + j] !== 0) return false;
  return true;
}

/**
 * Lower Cholesky factor of a covariance (row-major), or null when it is not positive definite
 * (apart from the zero rows of held parameters).
 */
function cholesky(cov: readonly number[], n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = cov[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        // A held shape's zero row: it is not drawn (L's row stays 0).
        if (sum === 0 && heldRow(cov, n, i)) continue;
        if (!(sum > 0)) return null;
        L[i * n + i] = Math.sqrt(sum);
      } else L[i * n + j] = L[j * n + j] === 0 ? 0 : sum / L[j * n + j]!;
    }
  }
  return L;
}

/**
 * `count` parameter sets drawn from log θ ~ N(log θ̂, Σ) with a fixed seed (the same draws on every
 * call and runtime); without a usable Σ, the fitted parameters alone.
 */
export function drawParameterSets<P extends Record<N, number>, N extends string>(
  params: P,
  names: readonly N[],
  covariance: readonly number[] | null | undefined,
  count: number,
  seed = 17,
): P[] {
  const n = names.length;
  const L = covariance && covariance.length === n * n ? cholesky(covariance, n) : null;
  if (!L || count <= 1) return [params];
  const rng = new Xoshiro128(seed);
  const z = new Float64Array(n);
  const draws: P[] = [];
  for (let d = 0; d < count; d++) {
    for (let i = 0; i < n; i++) z[i] = sampleStandardNormal(rng);
    const draw = { ...params };
    names.forEach((name, i) => {
      let shift = 0;
      for (let k = 0; k <= i; k++) shift += L[i * n + k]! * z[k]!;
      (draw as Record<string, number>)[name] = params[name] * Math.exp(shift);
    });
    draws.push(draw);
  }
  return draws;
}
