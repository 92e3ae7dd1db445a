// The GBDT columns of a batch: the gradient-boosted models' predictions (fresh feature rows through
// the model's scorers, or the stored customers' scores), moved from the trained horizon H to the
// asked one. The count is scaled by the customer's BG/NBD ratio E[X(h)]/E[X(H)], P(purchase) by
// 1 − (1 − p)^k with BG/NBD's own exponent for that customer (bgnbdPurchaseExponent), at most the
// scaled count, and its CLV discounts along BG/NBD's timing.

import { spendFromRegression } from "../gbdt/spend-floor.ts";
import {
  type BgNbdParams,
  bgnbdExpectedPurchases,
  bgnbdPurchaseExponent,
} from "../models/bgnbd.ts";
import type { BtydColumns } from "./btyd-columns.ts";
import type { ForecastBatchInput, ForecastModel } from "./forecast-inputs.ts";
import { emptyColumns, type GbdtColumns, nanColumn } from "./model-columns.ts";

type Scorers = NonNullable<ForecastModel["gbdt"]>;

export interface FreshPredictions {
  counts: Float32Array;
  probs: Float32Array;
  spends: Float32Array | null;
}

/** The scorers' predictions for the batch's feature rows (call only with feature rows, m > 0). */
export async function freshPredictions(
  scorers: Scorers,
  batch: ForecastBatchInput,
): Promise<FreshPredictions> {
  const { count, purchase, spend } = scorers;
  const [counts, probs, spends] = await Promise.all([
    count.predict(batch.X, batch.m),
    purchase.predict(batch.X, batch.m),
    spend ? spend.predict(batch.X, batch.m) : Promise.resolve(null),
  ]);
  return { counts, probs, spends };
}

/**
 * BG/NBD E[X(H)] at the trained horizon H for every stored customer, computed once when a model
 * loads: it does not depend on the question, so a forecast by id at another horizon needs only E[X(h)].
 */
export function bgnbdAtTrainedHorizon(
  bgnbd: BgNbdParams,
  H: number,
  stored: { x: Float64Array; tx: Float64Array; T: Float64Array },
): Float64Array {
  const n = stored.x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = bgnbdExpectedPurchases(bgnbd, H, stored.x[i]!, stored.tx[i]!, stored.T[i]!);
  }
  return out;
}

/** E[X(h)]/E[X(H)] under BG/NBD for customer i, whose E[X(h)] is eBg and E[X(H)] is eH. */
function horizonRatio(eBg: number, eH: number, horizon: number, H: number): number {
  return eH > 1e-12 ? eBg / eH : horizon / H;
}

/** E[X(H)] of customer i: a stored customer's was computed at load, others' are computed here. */
function expectedAtTrainedHorizon(
  model: ForecastModel,
  batch: ForecastBatchInput,
  i: number,
  s: number,
): number {
  const stored = model.storedScores;
  if (s >= 0 && stored) return stored.bgnbdAtTrainedHorizon[s]!;
  return bgnbdExpectedPurchases(
    model.bgnbd,
    model.trainedHorizon,
    batch.x[i]!,
    batch.tx[i]!,
    batch.T[i]!,
  );
}

/**
 * GBDT's columns at `horizon` (null when the model has none) from the fresh predictions of the
 * batch's feature rows (null without any) and the stored scores; rows without either are NaN.
 * Synchronous: the caller awaits the scorers first.
 */
export function gbdtColumns(
  model: ForecastModel,
  batch: ForecastBatchInput,
  horizon: number,
  btyd: BtydColumns,
  fresh: FreshPredictions | null,
): GbdtColumns | null {
  if (!model.gbdt) return null;
  const { n, errors, storedRow, featureRow } = batch;
  const { bg, bgDiscounted, meanSpend } = btyd;
  const stored = model.storedScores;
  const H = model.trainedHorizon;
  const sameHorizon = Math.abs(horizon - H) < 1e-9;
  const shift = sameHorizon ? null : { ratio: nanColumn(n), exponent: nanColumn(n) };
  const cols = { ...emptyColumns(n), predictedSpend: nanColumn(n), horizonShift: shift };
  for (let i = 0; i < n; i++) {
    if (errors[i]) continue;
    const r = featureRow[i]!;
    const s = storedRow[i]!;
    let c: number;
    let p: number;
    let direct: number;
    if (r >= 0 && fresh) {
      c = fresh.counts[r]!;
      p = fresh.probs[r]!;
      direct = fresh.spends ? fresh.spends[r]! : Number.NaN;
    } else if (s >= 0 && stored) {
      c = stored.count[s]!;
      p = stored.purchase[s]!;
      direct = stored.spend ? stored.spend[s]! : Number.NaN;
    } else continue;
    const eBg = bg.expectedPurchases[i]!;
    const ratio = sameHorizon
      ? 1
      : horizonRatio(eBg, expectedAtTrainedHorizon(model, batch, i, s), horizon, H);
    const expected = c * ratio;
    cols.expectedPurchases[i] = expected;
    cols.pAlive[i] = bg.pAlive[i]!;
    if (shift) {
      const k = bgnbdPurchaseExponent(
        model.bgnbd,
        horizon,
        H,
        batch.x[i]!,
        batch.T[i]!,
        bg.pAlive[i]!,
      );
      shift.ratio[i] = ratio;
      shift.exponent[i] = k;
      // A count's P(at least one) is at most its mean. BG/NBD's exponent carries the GBDT's p by
      // BG/NBD's story (a lapsed heavy buyer: rarely alive, buying often if so), which need not be
      // the GBDT's: a day ahead, 0.0018 against an expected 0.0008.
      cols.pPurchase[i] = Math.min(-Math.expm1(k * Math.log1p(-Math.min(p, 1))), expected);
    } else cols.pPurchase[i] = p;
    cols.predictedSpend[i] = spendFromRegression(direct) * ratio;
    const perPurchase = meanSpend[i]!;
    if (!Number.isNaN(perPurchase)) {
      cols.expectedSpend[i] = expected * perPurchase;
      // Purchases timed like BG/NBD's: discounted share of the expected count.
      const share = eBg > 1e-12 ? bgDiscounted[i]! / eBg : 1;
      cols.clv[i] = expected * share * perPurchase;
    }
  }
  return cols;
}
