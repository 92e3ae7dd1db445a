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

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null);
const pair = (column: Float64Array, i: number) => [
  round(column[2 * i] as number),
  round(column[2 * i + 1] as number),
];

/** The `intervals` object of one customer under one model: {"0.8": {purchases, spend, clv}}. */
export function intervalsJson(
  intervals: ModelIntervals,
  levels: readonly number[],
  i: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
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
  for (let k = 0; k < dist.pmf.length && cdf < 1 - 1e-6; k++) {
    cdf += dist.pmf[k] as number;
    pmf.push(Math.round((dist.pmf[k] as number) * 1e9) / 1e9);
  }
  return { pmf, tail: Math.round(Math.max(0, 1 - cdf) * 1e9) / 1e9 };
}
