// Turns the request's customers (by id, by summary or by transactions) into one columnar batch:
// (x, t_x, T, monetary) in float64 for the BTYD formulas and, where the customer has them, the
// GBDT feature vectors as rows of one float32 matrix. Per-customer problems become item errors.

import { isoDateToDay } from "@pp/ml/data/transaction-log.ts";
import { buildFeatureVector, FEATURE_COUNT } from "@pp/ml/features/feature-vector.ts";
import type { ItemError } from "@pp/ml/forecasting/forecast-inputs.ts";
import type { LoadedModel } from "../model/loaded-model.ts";

export interface SummaryInput {
  frequency: number;
  recency: number;
  T: number;
  monetary?: number | undefined;
}

export interface TransactionInput {
  at: string;
  amount: number;
  quantity?: number | undefined;
}

export interface CustomerInput {
  id: string;
  summary?: SummaryInput | undefined;
  transactions?: TransactionInput[] | undefined;
}

export type CustomerBasis = "id" | "summary" | "transactions";

export type { ItemError };

export interface CustomerBatch {
  n: number;
  ids: string[];
  basis: CustomerBasis[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  monetary: Float64Array;
  /** Row of the customer in X, or -1 (scored at load, or no feature vector: no GBDT). */
  featureRow: Int32Array;
  /** Row among the model's stored customers (id lookups), or -1. */
  storedRow: Int32Array;
  /** Row-major m × FEATURE_COUNT feature vectors. */
  X: Float32Array;
  m: number;
  /** The cutoff used for transaction customers (YYYY-MM-DD), else null. */
  asOf: (string | null)[];
  errors: (ItemError | null)[];
}

const DAY_MS = 86_400_000;
const isoOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * The cutoff for a transaction history: `as_of` when given; otherwise the model's calibration end
 * when every transaction is on or before it (the features' own cutoff), else the last transaction day.
 */
export function transactionCutoff(
  days: readonly number[],
  model: LoadedModel,
  asOfDay: number | null,
) {
  if (asOfDay !== null) return asOfDay;
  let last = Number.NEGATIVE_INFINITY;
  for (const d of days) if (d > last) last = d;
  return Math.max(last, model.calibrationEndDay);
}

/** Resolves every customer; `asOf` (YYYY-MM-DD) applies to transaction histories only. */
export function resolveCustomers(
  model: LoadedModel,
  customers: readonly CustomerInput[],
  asOf: string | undefined,
): CustomerBatch {
  const n = customers.length;
  const unit = model.timeUnit === "week" ? 7 : 1;
  const asOfDay = asOf === undefined ? null : isoDateToDay(asOf);
  const batch: CustomerBatch = {
    n,
    ids: new Array(n),
    basis: new Array(n),
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    monetary: new Float64Array(n),
    featureRow: new Int32Array(n).fill(-1),
    storedRow: new Int32Array(n).fill(-1),
    X: new Float32Array(0),
    m: 0,
    asOf: new Array(n).fill(null),
    errors: new Array(n).fill(null),
  };
  const index = model.customers;
  const stored = index.columns;
  const wantFeatures = model.gbdt !== null;
  // Feature rows: stored rows are copied, transaction rows computed; sized for the worst case.
  let X = wantFeatures ? new Float32Array(Math.min(n, 1024) * FEATURE_COUNT) : batch.X;
  let m = 0;
  const addRow = (values: Float32Array, offset: number): number => {
    if ((m + 1) * FEATURE_COUNT > X.length) {
      const grown = new Float32Array(Math.max(X.length * 2, (m + 1) * FEATURE_COUNT));
      grown.set(X);
      X = grown;
    }
    X.set(values.subarray(offset, offset + FEATURE_COUNT), m * FEATURE_COUNT);
    return m++;
  };

  for (let i = 0; i < n; i++) {
    const c = customers[i] as CustomerInput;
    batch.ids[i] = c.id;
    if (c.summary) {
      batch.basis[i] = "summary";
      batch.x[i] = c.summary.frequency;
      batch.tx[i] = c.summary.recency;
      batch.T[i] = c.summary.T;
      // NaN: unknown; spend then uses the population mean.
      batch.monetary[i] = c.summary.monetary ?? Number.NaN;
    } else if (c.transactions) {
      batch.basis[i] = "transactions";
      const txs = c.transactions.map((t) => ({
        // A timestamp counts on its date as written (validated by the request schema).
        day: isoDateToDay(t.at.slice(0, 10)),
        amount: t.amount,
        quantity: t.quantity ?? 0,
      }));
      const cutoff = transactionCutoff(
        txs.map((t) => t.day),
        model,
        asOfDay,
      );
      batch.asOf[i] = isoOf(cutoff);
      const summary = summarizeHistory(txs, cutoff, unit);
      if (!summary) {
        batch.errors[i] = {
          code: "no_transactions_before_as_of",
          message: `customer ${JSON.stringify(c.id)} has no transaction on or before ${isoOf(cutoff)}`,
        };
        continue;
      }
      batch.x[i] = summary.x;
      batch.tx[i] = summary.tx;
      batch.T[i] = summary.T;
      batch.monetary[i] = summary.monetary;
      if (wantFeatures) {
        const vector = buildFeatureVector(txs, cutoff, {
          timeUnit: model.timeUnit,
          horizon: model.trainedHorizon,
          btyd: { bgnbd: model.bgnbd, paretoNbd: model.paretoNbd },
        });
        batch.featureRow[i] = addRow(vector, 0);
      }
    } else {
      batch.basis[i] = "id";
      const row = index.rowOf(c.id);
      if (row < 0) {
        batch.errors[i] = {
          code: "unknown_customer",
          message: `customer ${JSON.stringify(c.id)} is not among the ${index.n} customers of ${model.identity.name} v${model.identity.version}; send its summary or transactions instead`,
        };
        continue;
      }
      batch.x[i] = stored.x[row] as number;
      batch.tx[i] = stored.tx[row] as number;
      batch.T[i] = stored.T[row] as number;
      batch.monetary[i] = stored.monetary[row] as number;
      batch.storedRow[i] = row;
      // Stored customers were scored at load; only an index without scores needs their rows in X.
      if (wantFeatures && stored.features && !model.storedScores) {
        batch.featureRow[i] = addRow(stored.features, row * FEATURE_COUNT);
      }
    }
  }
  batch.X = X;
  batch.m = m;
  return batch;
}

/** (x, t_x, T, monetary) of a history at a cutoff: same-day purchases merge, as in training. */
export function summarizeHistory(
  transactions: readonly { day: number; amount: number }[],
  cutoff: number,
  unit: number,
): { x: number; tx: number; T: number; monetary: number } | null {
  const spendByDay = new Map<number, number>();
  for (const t of transactions) {
    if (t.day > cutoff) continue;
    spendByDay.set(t.day, (spendByDay.get(t.day) ?? 0) + t.amount);
  }
  if (spendByDay.size === 0) return null;
  const days = [...spendByDay.keys()].sort((a, b) => a - b);
  const first = days[0] as number;
  const last = days[days.length - 1] as number;
  const x = days.length - 1;
  let repeatSpend = 0;
  for (let k = 1; k < days.length; k++) repeatSpend += spendByDay.get(days[k] as number) as number;
  return {
    x,
    tx: (last - first) / unit,
    T: (cutoff - first) / unit,
    monetary: x > 0 ? repeatSpend / x : 0,
  };
}
