// The Pareto/NBD conditional expectation (Schmittlein et al. 1987) in factors, for callers that
// evaluate it at many horizons t per customer (CLV's discounting grid): E(t) = P(alive) · prefactor
// · tail(t), where only the tail depends on t and P(alive) (two 2F1 series) is computed once.
import type { ParetoNbdParams } from "./pareto-nbd.ts";
import { oneMinusPowerOverExponent } from "./special-functions.ts";

/** (r+x)(beta+T)/(alpha+T): the factor of E(t) that depends on neither t nor t_x. */
export function paretoNbdExpectationPrefactor(
  params: ParetoNbdParams,
  x: number,
  T: number,
): number {
  return ((params.r + x) * (params.beta + T)) / (params.alpha + T);
}

/** [1 − ((beta+T)/(beta+T+t))^(s−1)]/(s−1), continuous through s = 1: the factor that holds t. */
export function paretoNbdExpectationTail(params: ParetoNbdParams, t: number, T: number): number {
  return oneMinusPowerOverExponent(-Math.log1p(t / (params.beta + T)), params.s - 1);
}

/** paretoNbdExpectationTail at each of the times `ts` (same values), written into `out`. */
export function paretoNbdExpectationTails(
  params: ParetoNbdParams,
  ts: ArrayLike<number>,
  T: number,
  out: Float64Array,
): Float64Array {
  const betaT = params.beta + T;
  const k = params.s - 1;
  for (let i = 0; i < ts.length; i++) {
    out[i] = oneMinusPowerOverExponent(-Math.log1p(ts[i]! / betaT), k);
  }
  return out;
}
