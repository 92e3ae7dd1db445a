// The intervals of a forecast batch: forecastIntervals (intervals.ts) fed with a batch's summaries
// and the models' forecast columns (the GBDT's and the blend's means, each model's discount share).
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
function discountShare(cols: ModelColumns): Float64Array {
  return Float64Array.from(cols.clv, (clv, i) => {
    const spend = cols.expectedSpend[i]!;
    return spend > 0 ? clv / spend : 1;
  });
}

export function batchForecastIntervals(
  params: IntervalModelParams,
  batch: Pick<ForecastBatchInput, "x" | "tx" | "T" | "monetary" | "errors">,
  result: BatchForecast,
  levels: readonly number[],
  distribution = false,
): BatchIntervals {
  const columns: Record<IntervalModel, ModelColumns | null> = {
    bgnbd: result.bgnbd,
    pareto_nbd: result.paretoNbd,
    gbdt: result.gbdt,
    blend: result.blend,
  };
  const means: Partial<Record<"gbdt" | "blend", Float64Array>> = {};
  const share: Partial<Record<IntervalModel, Float64Array>> = {};
  for (const [m, cols] of Object.entries(columns) as [IntervalModel, ModelColumns | null][]) {
    if (!cols) continue;
    share[m] = discountShare(cols);
    if (m === "gbdt" || m === "blend") means[m] = cols.expectedPurchases;
  }
  return forecastIntervals(params, {
    x: batch.x,
    tx: batch.tx,
    T: batch.T,
    monetary: batch.monetary,
    horizon: result.horizon,
    levels,
    means,
    discountShare: share,
    distribution,
    skip: (i) => Boolean(batch.errors[i]),
  });
}
