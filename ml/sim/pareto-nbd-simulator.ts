// Simulates a Pareto/NBD population (Schmittlein, Morrison & Colombo 1987): purchases
// Poisson(lambda), lambda ~ Gamma(r, alpha); an exponential lifetime with rate mu ~ Gamma(s, beta).

import {
  requirePositive,
  type SimulatedPopulation,
  type SimulationOptions,
  simulatePurchaseProcess,
} from "./purchase-process.ts";
import { sampleExponential, sampleGamma } from "./samplers.ts";

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

export function simulateParetoNbd(
  params: ParetoNbdParams,
  options: SimulationOptions,
): SimulatedPopulation {
  requirePositive({ ...params }, "params");
  const { s, beta } = params;
  return simulatePurchaseProcess(
    params,
    {
      draw: (rng) => sampleGamma(rng, s, beta),
      lifetime: (rng, mu) => sampleExponential(rng, mu),
      diesAfterPurchase: () => false,
    },
    options,
  );
}
