// The BG/NBD and Pareto/NBD forecasts used as features (and as the BTYD models' holdout
// predictions): expected purchases over the horizon, P(alive) and, for BG/NBD, P(any purchase).
// Runtime-neutral.

import {
  type BgNbdParams,
  bgnbdExpectedPurchases,
  bgnbdProbabilityAlive,
  bgnbdProbabilityOfPurchase,
} from "../models/bgnbd.ts";
import {
  type ParetoNbdParams,
  paretoNbdExpectedPurchases,
  paretoNbdProbabilityAlive,
} from "../models/pareto-nbd.ts";

export interface BtydParams {
  bgnbd: BgNbdParams;
  paretoNbd: ParetoNbdParams;
}

export interface BtydFeatureValues {
  bgnbdExpected: number;
  bgnbdPAlive: number;
  bgnbdPAny: number;
  pnbdExpected: number;
  pnbdPAlive: number;
}

/** Forecasts for one customer with (x, t_x, T) over `horizon` time units. */
export function btydFeatures(
  params: BtydParams,
  x: number,
  tx: number,
  T: number,
  horizon: number,
): BtydFeatureValues {
  return {
    bgnbdExpected: bgnbdExpectedPurchases(params.bgnbd, horizon, x, tx, T),
    bgnbdPAlive: bgnbdProbabilityAlive(params.bgnbd, x, tx, T),
    bgnbdPAny: bgnbdProbabilityOfPurchase(params.bgnbd, horizon, x, tx, T),
    pnbdExpected: paretoNbdExpectedPurchases(params.paretoNbd, horizon, x, tx, T),
    pnbdPAlive: paretoNbdProbabilityAlive(params.paretoNbd, x, tx, T),
  };
}
