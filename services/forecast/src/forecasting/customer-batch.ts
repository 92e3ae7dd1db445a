// Turns the request's customers (by id, by summary or by transactions) into one columnar batch:
// (x, t_x, T, monetary) in float64 for the BTYD formulas and, where the customer has them, the
// GBDT feature vectors as rows of one float32 matrix. Per-customer problems become item errors.

import { isoDateToDay } from "@pp/ml/data/transaction-log.ts";
import { buildFeatureVector, FEATURE_COUNT } from "@pp/ml/features/feature-vector.ts";
import { impossibleSummary } from "@pp/ml/features/possible-summary.ts";
import type { ItemError } from "@pp/ml/forecasting/forecast-inputs.ts";
import {
  lowerCaseCustomerId,
  nfcCustomerId,
  wholeNumberCustomerId,
} from "@pp/shared/contracts/forecast-request.ts";
import type { LoadedModel } from "../model/loaded-model.ts";

interface SummaryInput {
  frequency: number;
  recency: number;
  T: number;
  monetary?: number | undefined;
}

interface TransactionInput {
  at: string;
  amount: number;
  quantity?: number | undefined;
}

export interface CustomerInput {
  id: string;
  summary?: SummaryInput | undefined;
  transactions?: TransactionInput[] | undefined;
}

type CustomerBasis = "id" | "summary" | "transactions";

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
function transactionCutoff(days: readonly number[], model: LoadedModel, asOfDay: number | null) {
  if (asOfDay !== null) return asOfDay;
  let last = Number.NEGATIVE_INFINITY;
  for (const d of days) if (d > last) last = d;
  return Math.max(last, model.calibrationEndDay);
}

function emptyBatch(n: number): CustomerBatch {
  return {
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
}

/** Feature rows of a batch: stored rows are copied, transaction rows computed. */
class FeatureRows {
  X: Float32Array;
  m = 0;

  constructor(n: number) {
    // Sized for the first 1,024 customers, grown by doubling.
    this.X = new Float32Array(Math.min(n, 1024) * FEATURE_COUNT);
  }

  /** Appends FEATURE_COUNT values of `values` from `offset`; returns the row. */
  add(values: Float32Array, offset: number): number {
    if ((this.m + 1) * FEATURE_COUNT > this.X.length) {
      const grown = new Float32Array(Math.max(this.X.length * 2, (this.m + 1) * FEATURE_COUNT));
      grown.set(this.X);
      this.X = grown;
    }
    this.X.set(values.subarray(offset, offset + FEATURE_COUNT), this.m * FEATURE_COUNT);
    return this.m++;
  }
}

function fromSummary(
  batch: CustomerBatch,
  i: number,
  summary: SummaryInput,
  unit: "day" | "week",
): void {
  batch.basis[i] = "summary";
  // A summary no history can give (days sent to a model in weeks) would get a confident forecast.
  const impossible = impossibleSummary(summary.frequency, summary.recency, unit);
  if (impossible !== null) {
    batch.errors[i] = {
      code: "invalid_customer",
      message:
        `customer ${JSON.stringify(batch.ids[i])}: frequency ${impossible}: is the summary in ` +
        `the model's time unit (${unit}, see /model-info) and counted per day?`,
    };
    return;
  }
  batch.x[i] = summary.frequency;
  batch.tx[i] = summary.recency;
  batch.T[i] = summary.T;
  // NaN: unknown; spend then uses the population mean.
  batch.monetary[i] = summary.monetary ?? Number.NaN;
}

function fromTransactions(
  batch: CustomerBatch,
  i: number,
  id: string,
  transactions: readonly TransactionInput[],
  model: LoadedModel,
  cutoffs: { asOfDay: number | null; features: FeatureRows | null },
): void {
  batch.basis[i] = "transactions";
  const txs = transactions.map((t) => ({
    // A timestamp counts on its date as written (validated by the request schema).
    day: isoDateToDay(t.at.slice(0, 10)),
    amount: t.amount,
    quantity: t.quantity ?? 0,
  }));
  const cutoff = transactionCutoff(
    txs.map((t) => t.day),
    model,
    cutoffs.asOfDay,
  );
  batch.asOf[i] = isoOf(cutoff);
  const summary = summarizeHistory(txs, cutoff, model.timeUnit === "week" ? 7 : 1);
  if (!summary) {
    batch.errors[i] = {
      code: "no_transactions_before_as_of",
      message: `customer ${JSON.stringify(id)} has no transaction on or before ${isoOf(cutoff)}`,
    };
    return;
  }
  batch.x[i] = summary.x;
  batch.tx[i] = summary.tx;
  batch.T[i] = summary.T;
  batch.monetary[i] = summary.monetary;
  if (cutoffs.features) {
    const vector = buildFeatureVector(txs, cutoff, {
      timeUnit: model.timeUnit,
      horizon: model.trainedHorizon,
      btyd: { bgnbd: model.bgnbd, paretoNbd: model.paretoNbd },
    });
    batch.featureRow[i] = cutoffs.features.add(vector, 0);
  }
}

/** Whether the model was trained with --ignore-id-case: its ids are read lower-cased. */
export function readsIdsLowerCased(model: Pick<LoadedModel, "manifest">): boolean {
  return model.manifest.data.ids_lower_cased === true;
}

/**
 * The stored row of a requested id, or -1: as written first (what every id found before still
 * finds), then in NFC, as the ml readers store ids ("José" sent decomposed, as macOS writes it,
 * finds the customer read composed). A model read with --ignore-id-case knows User@Example.com as
 * user@example.com (lower-cased after NFC, as the reader's lower() does: "İ" is "i", every "Σ" is
 * "σ", lowerCaseCustomerId). Last, a float export's 17850.0 finds the 17850 the readers stored.
 */
function storedRowOf(model: LoadedModel, id: string): number {
  const lowered = readsIdsLowerCased(model);
  const row = model.customers.rowOf(indexKey(id, lowered));
  if (row >= 0) return row; // found as sent: the NFC form is not computed on the hot path
  const nfc = nfcCustomerId(id);
  const composed = nfc === id ? row : model.customers.rowOf(indexKey(nfc, lowered));
  if (composed >= 0) return composed;
  // A float export's id (17850.0), which the readers store as the whole number.
  const whole = wholeNumberCustomerId(id);
  return whole === id ? composed : model.customers.rowOf(whole);
}

/** An id as the index knows it. A function, not a closure per lookup: 1,000 ids, 1,000 closures. */
function indexKey(id: string, lowered: boolean): string {
  return lowered ? lowerCaseCustomerId(id) : id;
}

function fromStored(
  batch: CustomerBatch,
  i: number,
  id: string,
  model: LoadedModel,
  features: FeatureRows | null,
): void {
  batch.basis[i] = "id";
  const index = model.customers;
  const row = storedRowOf(model, id);
  if (row < 0) {
    // No customers at all: "not among the 0 customers" did not say why.
    const among =
      index.n === 0
        ? `${model.identity.name} v${model.identity.version} is served without stored customers (ml publish --without-customers leaves them out), so none is known by id`
        : `customer ${JSON.stringify(id)} is not among the ${index.n} customers of ${model.identity.name} v${model.identity.version}`;
    batch.errors[i] = {
      code: "unknown_customer",
      message: `${among}; send its summary or transactions instead`,
    };
    return;
  }
  const stored = index.columns;
  // A row found by rowOf is within every column (checked when the index was built).
  batch.x[i] = stored.x[row] ?? Number.NaN;
  batch.tx[i] = stored.tx[row] ?? Number.NaN;
  batch.T[i] = stored.T[row] ?? Number.NaN;
  batch.monetary[i] = stored.monetary[row] ?? Number.NaN;
  batch.storedRow[i] = row;
  // Stored customers were scored at load; only an index without scores needs their rows in X.
  if (features && stored.features && !model.storedScores) {
    batch.featureRow[i] = features.add(stored.features, row * FEATURE_COUNT);
  }
}

/** Resolves every customer; `asOf` (YYYY-MM-DD) applies to transaction histories only. */
export function resolveCustomers(
  model: LoadedModel,
  customers: readonly CustomerInput[],
  asOf: string | undefined,
): CustomerBatch {
  const batch = emptyBatch(customers.length);
  const features = model.gbdt !== null ? new FeatureRows(customers.length) : null;
  const asOfDay = asOf === undefined ? null : isoDateToDay(asOf);
  for (let i = 0; i < customers.length; i++) {
    const c = customers[i]!;
    batch.ids[i] = c.id;
    if (c.summary) fromSummary(batch, i, c.summary, model.timeUnit);
    else if (c.transactions) {
      fromTransactions(batch, i, c.id, c.transactions, model, { asOfDay, features });
    } else fromStored(batch, i, c.id, model, features);
  }
  if (features) {
    batch.X = features.X;
    batch.m = features.m;
  }
  return batch;
}

/** (x, t_x, T, monetary) of a history at a cutoff: same-day purchases merge, as in training. */
function summarizeHistory(
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
  const first = days[0] ?? cutoff;
  const last = days[days.length - 1] ?? cutoff;
  const x = days.length - 1;
  let repeatSpend = 0;
  for (const day of days.slice(1)) repeatSpend += spendByDay.get(day) ?? 0;
  return {
    x,
    tx: (last - first) / unit,
    T: (cutoff - first) / unit,
    monetary: x > 0 ? repeatSpend / x : 0,
  };
}
