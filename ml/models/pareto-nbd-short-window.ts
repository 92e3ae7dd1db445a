// Pareto/NBD's P(a purchase in (T, T+t] | alive at T) for a window short beside the customer's
// purchase and dropout time scales. There 1 − L(x, t_x, T+t)/L(x, t_x, T) subtracts two nearly
// equal likelihoods, ~|ln L|·1e-16 apart by rounding alone (1e-9 for x = 1e6): a horizon of
// minutes got P(purchase) of −1.9e-9, or above its expected purchases. Alive at T, λ ~ Gamma(r+x,
// alpha+T) and μ ~ Gamma(s, beta+T) are independent, so the first purchase comes before dropout
// and within t with probability
//   ∫_0^t (r+x)/(alpha+T)·(1 + y/(alpha+T))^−(r+x+1) · (1 + y/(beta+T))^−s dy,
// a positive, smooth integrand on a short window: Gauss-Legendre is exact to rounding.

import { gaussLegendre } from "./count-pmf.ts";
import type { ParetoNbdParams } from "./pareto-nbd.ts";

const NODES = gaussLegendre(16);
/** A window is short when at most this share of either rate's scale passes in it. */
const SHORT = 0.1;

/** The window (T, T+t] is short beside 1/rate of purchases and of dropout (see SHORT). */
export function isShortWindow(params: ParetoNbdParams, t: number, x: number, T: number): boolean {
  const { r, alpha, s, beta } = params;
  return t * Math.max((r + x + 1) / (alpha + T), (s + 1) / (beta + T)) <= SHORT;
}

/** P(at least one purchase in (T, T+t] | alive at T), for a short window (isShortWindow). */
export function paretoNbdPurchaseIfAliveInShortWindow(
  params: ParetoNbdParams,
  t: number,
  x: number,
  T: number,
): number {
  const { r, alpha, s, beta } = params;
  const aT = alpha + T;
  const bT = beta + T;
  const { nodes, weights } = NODES;
  let sum = 0;
  for (let j = 0; j < nodes.length; j++) {
    const y = (t / 2) * (1 + nodes[j]!);
    sum += weights[j]! * Math.exp(-(r + x + 1) * Math.log1p(y / aT) - s * Math.log1p(y / bT));
  }
  return ((r + x) / aT) * (t / 2) * sum;
}
