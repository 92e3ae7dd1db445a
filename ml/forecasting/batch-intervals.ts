// The intervals of a forecast batch: forecastIntervals (intervals.ts) fed with a batch's summaries
// and the models' forecast columns (the GBDT's and the blend's means and P(purchase), each model's
// discount share).
// One composition for /forecast and `ml score`, so both serve the same intervals.

import type { BatchForecast, ModelColumns } from "./forecast-batch.ts";
import type { ForecastBatchInput } from "./forecast-inputs.ts";
import {
  forecastIntervals,
  type IntervalModel,
  type IntervalModelParams,
  type ModelIntervals,
} from "./intervals.ts";

export type BatchIntervals = Partial<Record<IntervalModel, ModelIntervals>>;

/** CLV / expected spend per customer: the discount share the CLV interval is scaled by. */
function discountShare(clvs: Float64Array, spends: Float64Array): Float64Array {
  return Float64Array.from(clvs, (clv, i) => {
    const spend = spends[i]!;
    return spend > 0 ? clv / spend : 1;
  });
}

/** Customers [from, to) of a batch. */
export interface CustomerRange {
  from: number;
  to: number;
}

function largest(values: Float64Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/**
 * The intervals of the batch's customers, or of `range` of them (answers of the range's customers
 * only, the same as in one piece: the parameter draws are screened against the whole batch).
 */
export function batchForecastIntervals(
  params: IntervalModelParams,
  batch: Pick<ForecastBatchInput, "x" | "tx" | "T" | "monetary" | "errors">,
  result: BatchForecast,
  levels: readonly number[],
  distribution = false,
  range: CustomerRange = { from: 0, to: batch.x.length },
): BatchIntervals {
  const { from, to } = range;
  const part = (column: Float64Array) => column.subarray(from, to);
  const columns: Record<IntervalModel, ModelColumns | null> = {
    bgnbd: result.bgnbd,
    pareto_nbd: result.paretoNbd,
    gbdt: result.gbdt,
    blend: result.blend,
  };
  const means: Partial<Record<"gbdt" | "blend", Float64Array>> = {};
  const pPurchase: Partial<Record<"gbdt" | "blend", Float64Array>> = {};
  const share: Partial<Record<IntervalModel, Float64Array>> = {};
  for (const [m, cols] of Object.entries(columns) as [IntervalModel, ModelColumns | null][]) {
    if (!cols) continue;
    share[m] = discountShare(part(cols.clv), part(cols.expectedSpend));
    if (m === "gbdt" || m === "blend") {
      means[m] = part(cols.expectedPurchases);
      // Their PMF's P(0) is 1 − the P(purchase) served beside it.
      pPurchase[m] = part(cols.pPurchase);
    }
  }
  return forecastIntervals(params, {
    x: part(batch.x),
    tx: part(batch.tx),
    T: part(batch.T),
    monetary: part(batch.monetary),
    horizon: result.horizon,
    levels,
    means,
    pPurchase,
    discountShare: share,
    distribution,
    screenMaxX: largest(batch.x),
    skip: (i) => Boolean(batch.errors[from + i]),
  });
}
