// Intervals and distributions for a forecast batch: composes ml/forecasting/intervals.ts (the one
// implementation, shared with batch scoring) with the batch's columns; nothing is re-derived here.

import { type BatchIntervals, batchForecastIntervals } from "@pp/ml/forecasting/batch-intervals.ts";
import type { BatchForecast } from "@pp/ml/forecasting/forecast-batch.ts";
import { intervalParamsFromManifest } from "@pp/ml/forecasting/interval-params.ts";
import type { ModelIntervals } from "@pp/ml/forecasting/intervals.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import type { CustomerBatch } from "./customer-batch.ts";

export type { BatchIntervals };

export function batchIntervals(
  model: LoadedModel,
  batch: CustomerBatch,
  result: BatchForecast,
  levels: readonly number[],
  distribution: boolean,
): BatchIntervals {
  const params = intervalParamsFromManifest(model.manifest);
  return batchForecastIntervals(params, batch, result, levels, distribution);
}

type Bound = number | null;
type Pair = [Bound, Bound];

const round = (v: number): Bound => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null);
const pair = (column: Float64Array, i: number): Pair => [
  round(column[2 * i] ?? Number.NaN),
  round(column[2 * i + 1] ?? Number.NaN),
];

/** The `intervals` object of one customer under one model: {"0.8": {purchases, spend, clv}}. */
export function intervalsJson(
  intervals: ModelIntervals,
  levels: readonly number[],
  i: number,
): Record<string, { purchases: Pair; spend: Pair | null; clv: Pair | null }> {
  const out: Record<string, { purchases: Pair; spend: Pair | null; clv: Pair | null }> = {};
  levels.forEach((level, l) => {
    const cols = intervals.byLevel[l];
    if (!cols) return;
    const spend = pair(cols.spend, i);
    out[String(level)] = {
      purchases: pair(cols.purchases, i),
      spend: spend[0] === null ? null : spend,
      clv: spend[0] === null ? null : pair(cols.clv, i),
    };
  });
  return out;
}

/** The `distribution` of one customer: P(X = k) up to where 1 − 1e-6 of the mass is reached. */
export function distributionJson(
  intervals: ModelIntervals,
  i: number,
): { pmf: number[]; tail: number } | null {
  const dist = intervals.pmf?.[i];
  if (!dist) return null;
  const pmf: number[] = [];
  let cdf = 0;
  for (const p of dist.pmf) {
    if (!(cdf < 1 - 1e-6)) break;
    cdf += p;
    pmf.push(Math.round(p * 1e9) / 1e9);
  }
  return { pmf, tail: Math.round(Math.max(0, 1 - cdf) * 1e9) / 1e9 };
}
