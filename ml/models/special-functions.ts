// Special functions the purchase models need: log-gamma and digamma come from the
// well-kept @stdlib implementations; the small numerically careful helpers are ours.

import digamma from "@stdlib/math-base-special-digamma";
import gammaln from "@stdlib/math-base-special-gammaln";

export { digamma, gammaln };

/** log(exp(a) + exp(b)) without overflow; either side may be -Infinity. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
export function logSubExp(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (b > a) return Number.NaN;
  if (b === a) return Number.NEGATIVE_INFINITY;
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * (1 - u^k) / k for u in (0, 1], with the k → 0 limit -log(u); written with expm1 so that it stays
 * accurate when k is near zero (e.g. Pareto/NBD's s − 1 or BG/NBD's a − 1).
 */
export function oneMinusPowerOverExponent(logU: number, k: number): number {
  if (Math.abs(k) < 1e-12) return -logU;
  return -Math.expm1(k * logU) / k;
}
