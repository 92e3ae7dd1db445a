// Step 2 of `trainModels`: the BTYD models' holdout forecasts per customer (expected purchases and
// P(any purchase) over the holdout) and their scores against the holdout purchases.

import {
  type CountMetrics,
  countMetrics,
  type PurchaseMetrics,
  purchaseMetrics,
} from "../evaluation/metrics.ts";
import { type BtydParams, btydFeatures } from "../features/btyd-features.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { paretoNbdProbabilityOfPurchase } from "../models/pareto-nbd.ts";

/** One model's holdout forecast per customer. */
export interface HoldoutForecast {
  expected: Float64Array;
  pAny: Float64Array;
}

export interface BtydHoldout {
  bg: HoldoutForecast;
  pnbd: HoldoutForecast;
  bgHoldout: CountMetrics & PurchaseMetrics;
  pnbdHoldout: CountMetrics & PurchaseMetrics;
}

function forecastHoldout(
  summaries: CustomerSummaries,
  params: BtydParams,
  horizon: number,
): { bg: HoldoutForecast; pnbd: HoldoutForecast } {
  const n = summaries.n;
  const bg = { expected: new Float64Array(n), pAny: new Float64Array(n) };
  const pnbd = { expected: new Float64Array(n), pAny: new Float64Array(n) };
  const { x, tx, T } = summaries;
  for (let i = 0; i < n; i++) {
    // i < n: the summaries' arrays hold n values (the ?? 0 never applies).
    const [xi, txi, Ti] = [x[i] ?? 0, tx[i] ?? 0, T[i] ?? 0];
    const f = btydFeatures(params, xi, txi, Ti, horizon);
    bg.expected[i] = f.bgnbdExpected;
    bg.pAny[i] = f.bgnbdPAny;
    pnbd.expected[i] = f.pnbdExpected;
    pnbd.pAny[i] = paretoNbdProbabilityOfPurchase(params.paretoNbd, horizon, xi, txi, Ti);
  }
  return { bg, pnbd };
}

function scored(actual: Float64Array, f: HoldoutForecast): CountMetrics & PurchaseMetrics {
  return { ...countMetrics(actual, f.expected), ...purchaseMetrics(actual, f.pAny) };
}

/** BG/NBD's and Pareto/NBD's holdout forecasts over `horizon` time units, and their scores. */
export function btydHoldout(
  summaries: CustomerSummaries,
  params: BtydParams,
  horizon: number,
): BtydHoldout {
  const { bg, pnbd } = forecastHoldout(summaries, params, horizon);
  const actual = summaries.holdoutPurchases;
  return { bg, pnbd, bgHoldout: scored(actual, bg), pnbdHoldout: scored(actual, pnbd) };
}
