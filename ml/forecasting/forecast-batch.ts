// The forecasts of a batch (shared by the forecast service and `ml score`): BG/NBD and Pareto/NBD in TypeScript (the ml/models formulas), the
// gradient-boosted models through the model's scorers, and spend/CLV from Gamma-Gamma. Pure apart
// from the scorers; columns are typed arrays, NaN where a value does not exist.
//
// GBDT at other horizons: the models are trained for one horizon H. For a horizon h the count is
// scaled by the customer's BG/NBD ratio E[X(h)]/E[X(H)], P(purchase) by 1 − (1 − p)^ratio (as if
// purchases were Poisson), and its CLV discounts along BG/NBD's purchase timing.

import {
  bgnbdExpectedPurchases,
  bgnbdProbabilityAlive,
  bgnbdProbabilityOfPurchase,
} from "../models/bgnbd.ts";
import { type ClvOptions, PERIODS_PER_YEAR } from "../models/clv.ts";
import { gammaGammaExpectedSpend } from "../models/gamma-gamma.ts";
import { paretoNbdAliveAndPurchase } from "../models/pareto-nbd.ts";
import { oneMinusPowerOverExponent } from "../models/special-functions.ts";
import { BgNbdExpectationCurve, type GridPoints } from "./bgnbd-expectation-curve.ts";
import { blendColumns } from "./blend-columns.ts";
import { type DiscountGrid, discountedSum, discountGrid } from "./discount-grid.ts";
// The service's LoadedModel and CustomerBatch satisfy these; the local names keep the formulas' text.
import type {
  ForecastBatchInput as CustomerBatch,
  ForecastModel as LoadedModel,
} from "./forecast-inputs.ts";
import { clvStep } from "./horizon.ts";

export interface ModelColumns {
  expectedPurchases: Float64Array;
  pAlive: Float64Array;
  pPurchase: Float64Array;
  expectedSpend: Float64Array;
  clv: Float64Array;
}

export interface GbdtColumns extends ModelColumns {
  /** The spend regression's own prediction of spend over the horizon (scaled like the count). */
  predictedSpend: Float64Array;
}

export interface BatchForecast {
  /** Horizon in model time units. */
  horizon: number;
  bgnbd: ModelColumns;
  paretoNbd: ModelColumns;
  /** Null when the model has no GBDT; rows without a feature vector are NaN. */
  gbdt: GbdtColumns | null;
  /** The trained blend of the three (null without blend weights or GBDT). */
  blend: ModelColumns | null;
  /** Gamma-Gamma expected spend per purchase (NaN without a spend model). */
  meanSpend: Float64Array;
  /** Milliseconds spent in the BTYD formulas and in GBDT scoring. */
  timings: { btydMs: number; gbdtMs: number };
}

function columns(n: number): ModelColumns {
  return {
    expectedPurchases: new Float64Array(n).fill(Number.NaN),
    pAlive: new Float64Array(n).fill(Number.NaN),
    pPurchase: new Float64Array(n).fill(Number.NaN),
    expectedSpend: new Float64Array(n).fill(Number.NaN),
    clv: new Float64Array(n).fill(Number.NaN),
  };
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

/** One curve (with its per-x coefficient cache) per loaded model. */
const curves = new WeakMap<LoadedModel, BgNbdExpectationCurve>();

function curveOf(model: LoadedModel): BgNbdExpectationCurve {
  let curve = curves.get(model);
  if (!curve) {
    curve = new BgNbdExpectationCurve(model.bgnbd);
    curves.set(model, curve);
  }
  return curve;
}

/** The per-customer BTYD values that depend on (x, t_x, T), the horizon and the discount rate. */
const BTYD_FIELDS = 8; // bg: E, alive, P, discounted; pn: the same

/**
 * Stored customers' BTYD values per (horizon, discount rate), filled as they are asked for: the
 * model and their summaries never change, so a repeated question is answered from memory. A
 * question gets its table (n × 8 values) when it is asked a second time: one asked once (e.g. a
 * new horizon) pays no allocation for it.
 */
interface StoredBtydCache {
  values: Float64Array; // n × BTYD_FIELDS
  done: Uint8Array;
}

const MAX_CACHED_QUESTIONS = 8;
/** Per model: question → its table, or null while it has been asked only once. */
const storedCaches = new WeakMap<LoadedModel, Map<string, StoredBtydCache | null>>();

function storedCacheOf(model: LoadedModel, horizon: number, rate: number): StoredBtydCache | null {
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
    if (caches.size >= MAX_CACHED_QUESTIONS) caches.delete(caches.keys().next().value as string);
    caches.set(key, null);
    return null;
  }
  const table = { values: new Float64Array(n * BTYD_FIELDS), done: new Uint8Array(n) };
  caches.set(key, table);
  return table;
}

const grids = new Map<string, DiscountGrid>();

/** The discounting grid depends only on (unit, horizon, rate): built once, reused. */
function gridFor(model: LoadedModel, horizon: number, rate: number): DiscountGrid {
  const key = `${model.timeUnit}|${horizon}|${rate}`;
  let grid = grids.get(key);
  if (!grid) {
    if (grids.size >= 64) grids.clear();
    grid = discountGrid(clvOptions(model, horizon, rate));
    grids.set(key, grid);
  }
  return grid;
}

/** Customers without an error, sorted by (T, x, t_x): equal summaries end up side by side. */
function visitOrder(batch: CustomerBatch): Int32Array {
  const { n, x, tx, T, errors } = batch;
  let m = 0;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) if (!errors[i]) order[m++] = i;
  const used = m === n ? order : order.subarray(0, m);
  if (m < 2) return used;
  used.sort(
    (i, j) =>
      (T[i] as number) - (T[j] as number) ||
      (x[i] as number) - (x[j] as number) ||
      (tx[i] as number) - (tx[j] as number) ||
      i - j,
  );
  return used;
}

export async function forecastBatch(
  model: LoadedModel,
  batch: CustomerBatch,
  horizon: number,
  annualDiscountRate: number,
  now: () => number = () => performance.now(),
): Promise<BatchForecast> {
  const started = now();
  const { n, x, tx, T, monetary, errors, storedRow } = batch;
  const bg = columns(n);
  const pn = columns(n);
  const meanSpend = new Float64Array(n).fill(Number.NaN);
  /** Discounted expected purchases (CLV before spend) per model; BG/NBD's is reused for GBDT. */
  const bgDiscounted = new Float64Array(n).fill(Number.NaN);
  const pnDiscounted = new Float64Array(n).fill(Number.NaN);
  const { times, weights } = gridFor(model, horizon, annualDiscountRate);
  const { bgnbd, paretoNbd, gammaGamma } = model;
  const curve = curveOf(model);
  // Only batches with stored customers (ids) use, or create, the cache of stored answers.
  let anyStored = false;
  for (let i = 0; i < n && !anyStored; i++) anyStored = (storedRow[i] as number) >= 0;
  const cache = anyStored ? storedCacheOf(model, horizon, annualDiscountRate) : null;
  const K = times.length;
  const pnb = paretoNbd;
  // Pareto/NBD E(t) = P(alive) · (r+x)(beta+T)/((alpha+T)(s−1)) · [1 − ((beta+T)/(beta+T+t))^(s−1)]:
  // P(alive) (two 2F1 series) is computed once per customer, not once per discounting step.
  const pnbdPrefactor = (xi: number, Ti: number) =>
    ((pnb.r + xi) * (pnb.beta + Ti)) / (pnb.alpha + Ti);
  const pnbdTail = (t: number, Ti: number) =>
    oneMinusPowerOverExponent(-Math.log1p(t / (pnb.beta + Ti)), pnb.s - 1);
  const targets = [
    bg.expectedPurchases,
    bg.pAlive,
    bg.pPurchase,
    bgDiscounted,
    pn.expectedPurchases,
    pn.pAlive,
    pn.pPurchase,
    pnDiscounted,
  ];
  // Shared work: customers are visited in (T, x, t_x) order, so those with the same (x, t_x, T)
  // are neighbours and copy the previous forecasts; the grid terms that depend on T only
  // (BG/NBD's z and powers, Pareto/NBD's tail per step) are computed once per T, and BG/NBD's
  // series once per (x, T). Computing in another order changes no value.
  const order = visitOrder(batch);
  // Scratch rows of K values, allocated on the first customer not answered from the cache.
  let scratch: {
    points: GridPoints;
    pnTail: Float64Array;
    shape: Float64Array;
    bgCurve: Float64Array;
    pnCurve: Float64Array;
  } | null = null;
  let pointsT = Number.NaN;
  let shapeX = Number.NaN;
  let previous = -1;

  for (let j = 0; j < order.length; j++) {
    const i = order[j] as number;
    const xi = x[i] as number;
    const txi = tx[i] as number;
    const Ti = T[i] as number;
    const row = storedRow[i] as number;
    if (cache && row >= 0 && cache.done[row] === 1) {
      for (let f = 0; f < BTYD_FIELDS; f++) {
        (targets[f] as Float64Array)[i] = cache.values[row * BTYD_FIELDS + f] as number;
      }
    } else {
      if (previous >= 0 && x[previous] === xi && tx[previous] === txi && T[previous] === Ti) {
        for (const target of targets) target[i] = target[previous] as number;
      } else {
        try {
          bg.expectedPurchases[i] = bgnbdExpectedPurchases(bgnbd, horizon, xi, txi, Ti);
          bg.pAlive[i] = bgnbdProbabilityAlive(bgnbd, xi, txi, Ti);
          bg.pPurchase[i] = bgnbdProbabilityOfPurchase(bgnbd, horizon, xi, txi, Ti);
          scratch ??= {
            points: {
              z: new Float64Array(K),
              first: new Float64Array(K),
              power: new Float64Array(K),
            },
            pnTail: new Float64Array(K),
            shape: new Float64Array(K),
            bgCurve: new Float64Array(K),
            pnCurve: new Float64Array(K),
          };
          const { points, pnTail, shape, bgCurve, pnCurve } = scratch;
          if (!(pointsT === Ti)) {
            pointsT = Number.NaN;
            shapeX = Number.NaN;
            curve.gridPoints(Ti, times, points);
            for (let k = 0; k < K; k++) pnTail[k] = pnbdTail(times[k] as number, Ti);
            pointsT = Ti;
          }
          if (!(shapeX === xi)) {
            shapeX = Number.NaN;
            curve.shapeOnGrid(xi, points, shape);
            shapeX = xi;
          }
          curve.scale(xi, txi, Ti, shape, bgCurve);
          bgDiscounted[i] = discountedSum(bgCurve, weights);

          const pnAlivePurchase = paretoNbdAliveAndPurchase(paretoNbd, horizon, xi, txi, Ti);
          const alive = pnAlivePurchase.pAlive;
          const prefactor = pnbdPrefactor(xi, Ti);
          pn.expectedPurchases[i] = alive * (prefactor * pnbdTail(horizon, Ti));
          pn.pAlive[i] = alive;
          pn.pPurchase[i] = pnAlivePurchase.pPurchase;
          for (let k = 0; k < K; k++) pnCurve[k] = alive * (prefactor * (pnTail[k] as number));
          pnDiscounted[i] = discountedSum(pnCurve, weights);
          previous = i;
        } catch (error) {
          // A summary the formulas cannot handle (e.g. a series that does not converge) fails alone.
          errors[i] = {
            code: "invalid_customer",
            message: `customer ${JSON.stringify(batch.ids[i])}: ${error instanceof Error ? error.message : String(error)}`,
          };
          for (const target of targets) target[i] = Number.NaN;
          previous = -1;
          continue;
        }
      }
      if (cache && row >= 0) {
        for (let f = 0; f < BTYD_FIELDS; f++) {
          cache.values[row * BTYD_FIELDS + f] = (targets[f] as Float64Array)[i] as number;
        }
        cache.done[row] = 1;
      }
    }
    if (gammaGamma) {
      const mi = monetary[i] as number;
      // Without a known mean spend, Gamma-Gamma's population mean (its x = 0 case) applies.
      const spend = Number.isNaN(mi)
        ? gammaGammaExpectedSpend(gammaGamma, 0, 0)
        : gammaGammaExpectedSpend(gammaGamma, xi, mi);
      meanSpend[i] = spend;
      bg.expectedSpend[i] = (bg.expectedPurchases[i] as number) * spend;
      bg.clv[i] = (bgDiscounted[i] as number) * spend;
      pn.expectedSpend[i] = (pn.expectedPurchases[i] as number) * spend;
      pn.clv[i] = (pnDiscounted[i] as number) * spend;
    }
  }
  const btydDone = now();

  let gbdt: GbdtColumns | null = null;
  if (model.gbdt) {
    const cols = { ...columns(n), predictedSpend: new Float64Array(n).fill(Number.NaN) };
    const { count, purchase, spend } = model.gbdt;
    const [counts, probs, spends] =
      batch.m > 0
        ? await Promise.all([
            count.predict(batch.X, batch.m),
            purchase.predict(batch.X, batch.m),
            spend ? spend.predict(batch.X, batch.m) : Promise.resolve(null),
          ])
        : [null, null, null];
    const stored = model.storedScores;
    const H = model.trainedHorizon;
    const sameHorizon = Math.abs(horizon - H) < 1e-9;
    for (let i = 0; i < n; i++) {
      if (errors[i]) continue;
      const r = batch.featureRow[i] as number;
      const s = storedRow[i] as number;
      let c: number;
      let p: number;
      let direct: number;
      if (r >= 0 && counts && probs) {
        c = counts[r] as number;
        p = probs[r] as number;
        direct = spends ? (spends[r] as number) : Number.NaN;
      } else if (s >= 0 && stored) {
        c = stored.count[s] as number;
        p = stored.purchase[s] as number;
        direct = stored.spend ? (stored.spend[s] as number) : Number.NaN;
      } else continue;
      const eBg = bg.expectedPurchases[i] as number;
      let ratio = 1;
      if (!sameHorizon) {
        const eH = bgnbdExpectedPurchases(
          bgnbd,
          H,
          x[i] as number,
          tx[i] as number,
          T[i] as number,
        );
        ratio = eH > 1e-12 ? eBg / eH : horizon / H;
      }
      const expected = c * ratio;
      cols.expectedPurchases[i] = expected;
      cols.pAlive[i] = bg.pAlive[i] as number;
      cols.pPurchase[i] = sameHorizon ? p : -Math.expm1(ratio * Math.log1p(-Math.min(p, 1)));
      cols.predictedSpend[i] = direct * ratio;
      const perPurchase = meanSpend[i] as number;
      if (!Number.isNaN(perPurchase)) {
        cols.expectedSpend[i] = expected * perPurchase;
        // Purchases timed like BG/NBD's: discounted share of the expected count.
        const share = eBg > 1e-12 ? (bgDiscounted[i] as number) / eBg : 1;
        cols.clv[i] = expected * share * perPurchase;
      }
    }
    gbdt = cols;
  }
  const blendWeights = model.manifest.blend?.weights;
  const blend =
    gbdt && blendWeights
      ? blendColumns(
          blendWeights,
          model.manifest.uncertainty?.dispersion.blend ?? 0,
          x,
          [bg, pn, gbdt],
          errors,
        )
      : null;
  const finished = now();
  return {
    horizon,
    bgnbd: bg,
    paretoNbd: pn,
    gbdt,
    blend,
    meanSpend,
    timings: { btydMs: btydDone - started, gbdtMs: finished - btydDone },
  };
}
