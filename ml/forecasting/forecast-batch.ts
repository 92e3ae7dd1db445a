// The forecasts of a batch (shared by the forecast service and `ml score`): BG/NBD and Pareto/NBD in
// TypeScript (the ml/models formulas, btyd-columns.ts), the gradient-boosted models through the
// model's scorers (gbdt-columns.ts), spend/CLV from Gamma-Gamma, and the trained blend. Pure apart
// from the scorers and the stored-answer cache; columns are typed arrays, NaN where a value does
// not exist.

import { type ClvOptions, PERIODS_PER_YEAR } from "../models/clv.ts";
import { blendColumns, rateIfAliveColumns } from "./blend-columns.ts";
import { btydColumns } from "./btyd-columns.ts";
import { type DiscountGrid, discountGrid } from "./discount-grid.ts";
// The service's LoadedModel and CustomerBatch satisfy these; the local names keep the formulas' text.
import type {
  ForecastBatchInput as CustomerBatch,
  ForecastModel as LoadedModel,
} from "./forecast-inputs.ts";
import { freshPredictions, gbdtColumns } from "./gbdt-columns.ts";
import { clvStep } from "./horizon.ts";
import type { GbdtColumns, ModelColumns } from "./model-columns.ts";
import { storedCacheFor } from "./stored-btyd-cache.ts";

export type { GbdtColumns, ModelColumns } from "./model-columns.ts";

export interface BatchForecast {
  /** Horizon in model time units. */
  horizon: number;
  bgnbd: ModelColumns;
  paretoNbd: ModelColumns;
  /** Null when the model has no GBDT; rows without a feature vector are NaN. */
  gbdt: GbdtColumns | null;
  /** The trained blend of the three and the rate if alive (null without blend weights or GBDT). */
  blend: ModelColumns | null;
  /** Gamma-Gamma expected spend per purchase (NaN without a spend model). */
  meanSpend: Float64Array;
  /** Milliseconds spent in the BTYD formulas and in GBDT scoring. */
  timings: { btydMs: number; gbdtMs: number };
}

/** CLV options for a horizon (model units) and an annual discount rate. */
export function clvOptions(
  model: LoadedModel,
  horizon: number,
  annualDiscountRate: number,
): ClvOptions {
  return {
    horizon,
    discountRate: annualDiscountRate,
    discountPer: "year",
    periodsPerYear: PERIODS_PER_YEAR[model.timeUnit],
    step: clvStep(model.timeUnit),
  };
}

const grids = new Map<string, DiscountGrid>();
/** The last grid asked for: a run of equal questions skips building the map key. */
let last: { unit: string; horizon: number; rate: number; grid: DiscountGrid } | null = null;

/** The discounting grid depends only on (unit, horizon, rate): built once, reused. */
function gridFor(model: LoadedModel, horizon: number, rate: number): DiscountGrid {
  const unit = model.timeUnit;
  if (last && last.horizon === horizon && last.rate === rate && last.unit === unit) {
    return last.grid;
  }
  const key = `${unit}|${horizon}|${rate}`;
  let grid = grids.get(key);
  if (!grid) {
    if (grids.size >= 64) grids.clear();
    grid = discountGrid(clvOptions(model, horizon, rate));
    grids.set(key, grid);
  }
  last = { unit, horizon, rate, grid };
  return grid;
}

export async function forecastBatch(
  model: LoadedModel,
  batch: CustomerBatch,
  horizon: number,
  annualDiscountRate: number,
  now: () => number = () => performance.now(),
): Promise<BatchForecast> {
  const started = now();
  // The scorers run first (the only await): the rest is one synchronous pass, so no other request
  // runs between the BTYD columns and their use, and shared scratch stays private to this call.
  const fresh = model.gbdt && batch.m > 0 ? await freshPredictions(model.gbdt, batch) : null;
  const scored = fresh ? now() : started;
  const grid = gridFor(model, horizon, annualDiscountRate);
  const cache = storedCacheFor(model, batch, horizon, annualDiscountRate);
  const btyd = btydColumns(model, batch, horizon, grid, cache);
  const btydDone = now();

  const gbdt = gbdtColumns(model, batch, horizon, btyd, fresh);
  const blendWeights = model.manifest.blend?.weights;
  const blend =
    gbdt && blendWeights
      ? blendColumns(
          blendWeights,
          batch.x,
          // Bundles trained before the rate if alive joined stack three members.
          blendWeights[0]?.length === 4
            ? [btyd.bg, btyd.pn, gbdt, rateIfAliveColumns(model.bgnbd, batch, horizon, btyd)]
            : [btyd.bg, btyd.pn, gbdt],
          batch.errors,
        )
      : null;
  const finished = now();
  return {
    horizon,
    bgnbd: btyd.bg,
    paretoNbd: btyd.pn,
    gbdt,
    blend,
    meanSpend: btyd.meanSpend,
    timings: { btydMs: btydDone - scored, gbdtMs: scored - started + (finished - btydDone) },
  };
}
