// Stored customers' BTYD values per (horizon, discount rate), filled as they are asked for: the
// model and their summaries never change, so a repeated question is answered from memory. A
// question gets its table (n × 8 values) when it is asked a second time: one asked once (e.g. a
// new horizon) pays no allocation for it.
import type { ForecastBatchInput, ForecastModel } from "./forecast-inputs.ts";

/** The per-customer BTYD values that depend on (x, t_x, T), the horizon and the discount rate. */
const BTYD_FIELDS = 8; // bg: E, alive, P, discounted; pn: the same

/** The BTYD_FIELDS columns a cached row is copied from and to, in the table's order. */
export type BtydTargets = readonly Float64Array[];

export interface StoredBtydCache {
  values: Float64Array; // n × BTYD_FIELDS
  done: Uint8Array;
}

const MAX_CACHED_QUESTIONS = 8;
/** Per model: question → its table, or null while it has been asked only once. */
const storedCaches = new WeakMap<ForecastModel, Map<string, StoredBtydCache | null>>();

function storedCacheOf(
  model: ForecastModel,
  horizon: number,
  rate: number,
): StoredBtydCache | null {
  const n = model.customers.n;
  if (n === 0) return null;
  let caches = storedCaches.get(model);
  if (!caches) {
    caches = new Map();
    storedCaches.set(model, caches);
  }
  const key = `${horizon}|${rate}`;
  const cache = caches.get(key);
  if (cache) return cache;
  if (cache === undefined) {
    if (caches.size >= MAX_CACHED_QUESTIONS) {
      const oldest = caches.keys().next();
      if (!oldest.done) caches.delete(oldest.value);
    }
    caches.set(key, null);
    return null;
  }
  const table = { values: new Float64Array(n * BTYD_FIELDS), done: new Uint8Array(n) };
  caches.set(key, table);
  return table;
}

/** The cache for this question; only batches with stored customers (ids) use, or create, one. */
export function storedCacheFor(
  model: ForecastModel,
  batch: ForecastBatchInput,
  horizon: number,
  rate: number,
): StoredBtydCache | null {
  const { n, storedRow } = batch;
  let anyStored = false;
  for (let i = 0; i < n && !anyStored; i++) anyStored = storedRow[i]! >= 0;
  return anyStored ? storedCacheOf(model, horizon, rate) : null;
}

/** Copies stored row `row` into entry i of the targets. */
export function readStored(
  cache: StoredBtydCache,
  row: number,
  targets: BtydTargets,
  i: number,
): void {
  for (let f = 0; f < BTYD_FIELDS; f++) {
    targets[f]![i] = cache.values[row * BTYD_FIELDS + f]!;
  }
}

/** Keeps entry i of the targets as stored row `row`. */
export function writeStored(
  cache: StoredBtydCache,
  row: number,
  targets: BtydTargets,
  i: number,
): void {
  for (let f = 0; f < BTYD_FIELDS; f++) {
    cache.values[row * BTYD_FIELDS + f] = targets[f]![i]!;
  }
  cache.done[row] = 1;
}
