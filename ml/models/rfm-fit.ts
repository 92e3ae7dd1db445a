// The maximum-likelihood fit and standard errors of the two RFM models (BG/NBD, Pareto/NBD): the
// same steps over each model's own likelihood and starts, written once.
import { at } from "../training/checked-index.ts";
import { fitByMaximumLikelihood, heldShapes } from "../training/maximum-likelihood.ts";
import { logParameterStandardErrors } from "../training/standard-errors.ts";
import { prepareRfmRows, type RfmRows } from "./rfm-rows.ts";
import {
  assertPositiveParams,
  type FitOptions,
  type FitResult,
  ModelInputError,
  type RfmData,
} from "./types.ts";

/** A model's likelihood and starts, in log-parameters θ_i = ln names[i]. */
export interface RfmModel<N extends string> {
  names: readonly N[];
  /** −log-likelihood over the rows at θ, filling `gradient` (in θ) when asked. */
  negLogLikelihood: (rows: RfmRows, theta: Float64Array, gradient?: Float64Array) => number;
  /** Starting points in natural parameter space. */
  starts: (rows: RfmRows) => number[][];
}

/** Maximum-likelihood fit by BFGS on log-parameters from the model's starts (see FitResult). */
export function fitRfmModel<N extends string>(
  model: RfmModel<N>,
  data: RfmData,
  options: FitOptions = {},
): FitResult<Record<N, number>> {
  const started = performance.now();
  const rows = prepareRfmRows(data, options.group ?? true);
  if (rows.customers <= 0) throw new ModelInputError("data", "no customers to fit");
  return fitByMaximumLikelihood(
    model.names,
    (theta, g) => model.negLogLikelihood(rows, theta, g),
    { customers: rows.customers, rows: rows.n },
    model.starts(rows),
    options,
    started,
  );
}

/**
 * Asymptotic standard errors of the parameters at `params` (normally the MLE): observed
 * information in log-parameters, delta method back to the natural scale. NaN if not at an optimum.
 */
export function rfmStandardErrors<N extends string>(
  model: RfmModel<N>,
  params: Record<N, number>,
  data: RfmData,
): Record<N, number> {
  assertPositiveParams(params, model.names);
  const rows = prepareRfmRows(data);
  const theta = model.names.map((k) => Math.log(params[k]));
  const se = logParameterStandardErrors(
    (t) => model.negLogLikelihood(rows, t),
    theta,
    heldShapes(model.names, params),
  );
  const out = {} as Record<N, number>;
  model.names.forEach((name, i) => {
    out[name] = at(se, i);
  });
  return out;
}

/** Purchases per unit of time over all customers (1 without any), and the mean T: for starts. */
export function pooledPurchaseRate(rows: RfmRows): { rate: number; meanT: number } {
  let purchases = 0;
  let exposure = 0;
  for (let i = 0; i < rows.n; i++) {
    purchases += rows.weight[i]! * rows.x[i]!;
    exposure += rows.weight[i]! * rows.T[i]!;
  }
  const rate = purchases > 0 && exposure > 0 ? purchases / exposure : 1;
  return { rate, meanT: exposure > 0 ? exposure / rows.customers : 1 };
}
