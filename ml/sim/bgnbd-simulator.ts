// Simulates a BG/NBD population (Fader, Hardie & Lee 2005): purchases Poisson(lambda) with
// lambda ~ Gamma(r, alpha); after each repeat purchase the customer drops out with p ~ Beta(a, b).

import {
  requirePositive,
  type SimulatedPopulation,
  type SimulationOptions,
  simulatePurchaseProcess,
} from "./purchase-process.ts";
import { sampleBeta } from "./samplers.ts";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export function simulateBgNbd(
  params: BgNbdParams,
  options: SimulationOptions,
): SimulatedPopulation {
  requirePositive({ ...params }, "params");
  const { a, b } = params;
  return simulatePurchaseProcess(
    params,
    {
      draw: (rng) => sampleBeta(rng, a, b),
      lifetime: () => Number.POSITIVE_INFINITY,
      diesAfterPurchase: (rng, p) => rng.uniform() < p,
    },
    options,
  );
}
