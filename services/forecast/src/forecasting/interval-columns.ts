// Intervals and distributions for a forecast batch: composes ml/forecasting/intervals.ts (the one
// implementation, shared with batch scoring) with the batch's columns; nothing is re-derived here.

import { type BatchIntervals, batchForecastIntervals } from "@pp/ml/forecasting/batch-intervals.ts";
import type { BatchForecast } from "@pp/ml/forecasting/forecast-batch.ts";
import { intervalParamsFromManifest } from "@pp/ml/forecasting/interval-params.ts";
import type { ModelIntervals } from "@pp/ml/forecasting/intervals.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import type { CustomerBatch } from "./customer-batch.ts";

export type { BatchIntervals };

/** About how long (ms) an interval computation runs before other requests (health checks, the
 * decision service's forecasts) get a turn. A customer costs ~1 ms, or ~170 ms when its PMF
 * spans thousands of purchases, so slices are sized by what the previous one cost. */
const INTERVAL_SLICE_MS = 50;
const MAX_SLICE = 1000;

/** One turn of the event loop: requests waiting on I/O get theirs (setTimeout where no setImmediate). */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) =>
    typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

/** Customers in the next slice, from `done` costing `ms` (a frozen clock, as on Workers: MAX). */
const nextSlice = (done: number, ms: number) =>
  Math.max(1, Math.min(MAX_SLICE, Math.floor((done * INTERVAL_SLICE_MS) / Math.max(ms, 1e-3))));

/**
 * What one request may cost. A 1 MB request (10,000 heavy buyers, five years, a distribution) had
 * the service compute for two minutes to 2.25 GB, and go on after its client had hung up.
 */
export interface IntervalLimits {
  /** The request's signal: aborted when its client goes away (then the work stops). */
  signal?: AbortSignal;
  timeLimitMs: number;
  maxDistributionValues: number;
}

/** The intervals of a whole batch, computed a slice at a time; the same as in one piece. */
export async function batchIntervals(
  model: LoadedModel,
  batch: CustomerBatch,
  result: BatchForecast,
  levels: readonly number[],
  distribution: boolean,
  limits: IntervalLimits,
): Promise<BatchIntervals> {
  const params = intervalParamsFromManifest(model.manifest);
  const all: BatchIntervals = {};
  const began = performance.now();
  let values = 0;
  let size = 1;
  for (let from = 0; from < batch.n; ) {
    if (from > 0) {
      await nextTurn();
      checkLimits(limits, { done: from, n: batch.n, ms: performance.now() - began });
    }
    const range = { from, to: Math.min(batch.n, from + size) };
    const started = performance.now();
    const part = batchForecastIntervals(params, batch, result, levels, distribution, range);
    size = nextSlice(range.to - from, performance.now() - started);
    for (const [m, intervals] of Object.entries(part) as [keyof BatchIntervals, ModelIntervals][]) {
      all[m] ??= wholeBatch(intervals, batch.n);
      place(all[m], intervals, from);
      for (const pmf of intervals.pmf ?? []) values += pmf?.pmf.length ?? 0;
    }
    if (values > limits.maxDistributionValues) throw tooManyValues(limits, range.to, batch.n);
    from = range.to;
  }
  return all;
}

/** Between slices: the client gone (the work stops), or the request past its time. */
function checkLimits(limits: IntervalLimits, at: { done: number; n: number; ms: number }): void {
  if (limits.signal?.aborted) {
    throw new AppError(
      "client_closed",
      "The client closed the request before its intervals were computed",
    );
  }
  if (at.ms <= limits.timeLimitMs) return;
  const fits = Math.max(1, Math.floor((at.done * limits.timeLimitMs) / at.ms));
  throw new AppError(
    "payload_too_large",
    `The intervals of these ${at.n.toLocaleString("en-US")} customers take longer than ${limits.timeLimitMs / 1000} s ` +
      `(${at.done.toLocaleString("en-US")} were done): send about ${fits.toLocaleString("en-US")} customers per request, or a shorter horizon`,
    { details: [{ path: "customers", message: `about ${fits} fit in the time limit` }] },
  );
}

function tooManyValues(limits: IntervalLimits, done: number, n: number): AppError {
  return new AppError(
    "payload_too_large",
    `The distributions of these customers hold more than ${limits.maxDistributionValues.toLocaleString("en-US")} values ` +
      `(the first ${done.toLocaleString("en-US")} of ${n.toLocaleString("en-US")} already do): ask for them for fewer customers per request, or leave out "distribution"`,
    { details: [{ path: "distribution", message: "too many values for one answer" }] },
  );
}

/** Empty columns (and PMFs) for n customers, shaped like `part`'s. */
function wholeBatch(part: ModelIntervals, n: number): ModelIntervals {
  const column = () => new Float64Array(2 * n).fill(Number.NaN);
  return {
    byLevel: part.byLevel.map(() => ({ purchases: column(), spend: column(), clv: column() })),
    pmf: part.pmf ? new Array(n).fill(null) : null,
    warnings: [],
  };
}

/** Copies a slice's intervals, PMFs and warnings into the whole batch's from customer `from` on. */
function place(all: ModelIntervals, part: ModelIntervals, from: number): void {
  part.byLevel.forEach((cols, l) => {
    const into = all.byLevel[l];
    if (!into) return;
    into.purchases.set(cols.purchases, 2 * from);
    into.spend.set(cols.spend, 2 * from);
    into.clv.set(cols.clv, 2 * from);
  });
  part.pmf?.forEach((pmf, i) => {
    if (all.pmf) all.pmf[from + i] = pmf;
  });
  for (const w of part.warnings) if (!all.warnings.includes(w)) all.warnings.push(w);
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
  let served = 0;
  for (const p of dist.pmf) {
    if (!(cdf < 1 - 1e-6)) break;
    cdf += p;
    const rounded = Math.round(p * 1e9) / 1e9;
    pmf.push(rounded);
    served += rounded;
  }
  // The tail is what the served (rounded) entries leave, so that they and it sum to 1: taken from
  // the unrounded sum, 2,034 entries rounded to 9 decimals each missed 1 by up to 9e-8.
  return { pmf, tail: Math.round(Math.max(0, 1 - served) * 1e9) / 1e9 };
}
