// `ml train`'s holdout-predictions.csv: per calibration customer the summary, what they did in the
// holdout and each model's holdout forecast — the very arrays metrics.json's holdout scores came from.

import { formulaLike, spreadsheetField } from "../data/csv-quote.ts";
import type { Fold } from "../evaluation/k-fold.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import type { HoldoutForecast } from "./btyd-holdout.ts";

export const HOLDOUT_PREDICTIONS_FILE = "holdout-predictions.csv";

/** The holdout forecasts of the evaluation step, per customer in the summaries' order. */
export interface HoldoutPredictions {
  summaries: CustomerSummaries;
  /** Holdout spend; null when trained from summaries (they carry no spend). */
  holdoutSpend: Float64Array | null;
  bgnbd: HoldoutForecast;
  paretoNbd: HoldoutForecast;
  /** Out-of-fold GBDT forecasts and each customer's fold (0-based); null without a GBDT. */
  gbdt: {
    count: Float64Array;
    purchase: Float64Array;
    spend: Float64Array;
    fold: Uint8Array;
  } | null;
  /** Out-of-fold blend forecasts; null without a blend. */
  blend: Float64Array | null;
  /** The blend's out-of-fold P(purchase) as scored (at most its mean); null when not scored. */
  blendPurchase: Float64Array | null;
}

/** Each customer's fold number (0..k-1) from the folds' test sets. */
export function foldOfCustomer(n: number, folds: readonly Fold[]): Uint8Array {
  const fold = new Uint8Array(n);
  folds.forEach((f, k) => {
    for (const i of f.test) fold[i] = k;
  });
  return fold;
}

const HEADER = [
  "customer_id",
  "x",
  "t_x",
  "T",
  "monetary",
  "holdout_purchases",
  "holdout_spend",
  "fold",
  "bgnbd_expected_purchases",
  "bgnbd_p_purchase",
  "pareto_nbd_expected_purchases",
  "pareto_nbd_p_purchase",
  "gbdt_expected_purchases",
  "gbdt_p_purchase",
  "gbdt_expected_spend",
  "blend_expected_purchases",
  "blend_p_purchase",
] as const;

/** A number as written (String round-trips a double exactly); empty when absent or not finite. */
const num = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? String(v) : "");

/** The numeric columns of customer i, after the id. */
function numbersOf(p: HoldoutPredictions, i: number): string {
  const s = p.summaries;
  const { gbdt } = p;
  return [
    s.x[i],
    s.tx[i],
    s.T[i],
    s.monetary[i],
    s.holdoutPurchases[i],
    p.holdoutSpend?.[i],
    gbdt ? (gbdt.fold[i] ?? 0) + 1 : undefined,
    p.bgnbd.expected[i],
    p.bgnbd.pAny[i],
    p.paretoNbd.expected[i],
    p.paretoNbd.pAny[i],
    gbdt?.count[i],
    gbdt?.purchase[i],
    gbdt?.spend[i],
    p.blend?.[i],
    p.blendPurchase?.[i],
  ]
    .map(num)
    .join(",");
}

/**
 * The file's text, and how many ids begin like a spreadsheet formula: written with a leading `'`
 * as `ml score` writes its CSV (csv-quote.ts), so that a spreadsheet opening the file runs nothing.
 */
export function holdoutPredictionsCsv(p: HoldoutPredictions): { text: string; guarded: number } {
  const lines = [HEADER.join(",")];
  let guarded = 0;
  for (let i = 0; i < p.summaries.n; i++) {
    const id = p.summaries.ids[i] as string;
    if (formulaLike(id)) guarded++;
    lines.push(`${spreadsheetField(id)},${numbersOf(p, i)}`);
  }
  return { text: `${lines.join("\n")}\n`, guarded };
}
