// The customers `ml score` scores, page by page so memory stays flat: the stored customers of a
// registered version (keyset pages read from the database, the next page fetched while the current
// one is scored), or every customer of a transaction log summarised at an as-of date.

import { createHash } from "node:crypto";
import type { Database } from "@pp/shared/db/database.ts";
import {
  customerSummaryCopyStatement,
  readCustomerSummaryPage,
  type StoredSummaryRow,
} from "@pp/shared/registry/customer-features.ts";
import postgres from "postgres";
import { isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { buildFeatureMatrix, FEATURE_COUNT } from "../features/feature-vector.ts";
import { summarize } from "../features/summaries.ts";
import type { ForecastBatchInput } from "../forecasting/forecast-inputs.ts";
import { BinaryCopyParser } from "./binary-copy.ts";
import type { ScoringModel } from "./scoring-model.ts";

export interface CustomerPage {
  ids: string[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  monetary: Float64Array;
  /** Row-major n × FEATURE_COUNT, or null (no stored feature vectors). */
  X: Float32Array | null;
}

/** `--shard i/n`: the i-th (0-based) of n disjoint parts. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The shard of a customer id: the first 32 bits of md5(id), unsigned, modulo n. The same value as
 * PostgreSQL's ('x' || substr(md5(id), 1, 8))::bit(32)::bigint, so the database filters its shard.
 */
export function shardOf(id: string, count: number): number {
  return createHash("md5").update(id, "utf8").digest().readUInt32BE(0) % count;
}

function pageOfRows(rows: StoredSummaryRow[]): CustomerPage {
  const n = rows.length;
  const page: CustomerPage = {
    ids: new Array(n),
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    monetary: new Float64Array(n),
    X: null,
  };
  const width = FEATURE_COUNT * 8;
  const withFeatures = n > 0 && rows.every((r) => r.features?.byteLength === width);
  const X = withFeatures ? new Float32Array(n * FEATURE_COUNT) : null;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as StoredSummaryRow;
    if (![r.x, r.tx, r.t].every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new RangeError(
        `customer ${JSON.stringify(r.customer_id)}: stored summary lacks numeric x/t_x/T`,
      );
    }
    page.ids[i] = r.customer_id;
    page.x[i] = r.x;
    page.tx[i] = r.tx;
    page.T[i] = r.t;
    page.monetary[i] = r.monetary;
    if (X) {
      const bytes = r.features as Uint8Array;
      const view = new DataView(bytes.buffer, bytes.byteOffset, width);
      for (let j = 0; j < FEATURE_COUNT; j++) X[i * FEATURE_COUNT + j] = view.getFloat64(j * 8);
    }
  }
  page.X = X;
  return page;
}

/** Stored customers of a model version in id order, `pageSize` at a time. */
export async function* registryPages(
  db: Database,
  modelVersionId: number,
  pageSize: number,
  shard: Shard | null,
): AsyncGenerator<CustomerPage> {
  const fetch = (after: string | null) =>
    readCustomerSummaryPage(db, modelVersionId, { after, size: pageSize, shard });
  let next: Promise<StoredSummaryRow[]> | null = fetch(null);
  while (next) {
    const rows: StoredSummaryRow[] = await next;
    next =
      rows.length === pageSize
        ? fetch((rows[rows.length - 1] as StoredSummaryRow).customer_id)
        : null;
    if (rows.length > 0) yield pageOfRows(rows);
  }
}

function emptyPage(size: number, withFeatures: boolean): CustomerPage {
  return {
    ids: [],
    x: new Float64Array(size),
    tx: new Float64Array(size),
    T: new Float64Array(size),
    monetary: new Float64Array(size),
    X: withFeatures ? new Float32Array(size * FEATURE_COUNT) : null,
  };
}

function trimPage(page: CustomerPage): CustomerPage {
  const n = page.ids.length;
  return {
    ids: page.ids,
    x: page.x.subarray(0, n),
    tx: page.tx.subarray(0, n),
    T: page.T.subarray(0, n),
    monetary: page.monetary.subarray(0, n),
    X: page.X ? page.X.subarray(0, n * FEATURE_COUNT) : null,
  };
}

/**
 * Stored customers of a version streamed by one binary COPY over a postgres.js connection (no
 * order: every row once), `pageSize` at a time. Far faster than pages of parsed rows; PostgreSQL only.
 */
export async function* copyPages(
  url: string,
  modelVersionId: number,
  pageSize: number,
  shard: Shard | null,
): AsyncGenerator<CustomerPage> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const stream = await client
      .unsafe(customerSummaryCopyStatement(modelVersionId, shard))
      .readable();
    const parser = new BinaryCopyParser();
    const decoder = new TextDecoder();
    let page = emptyPage(pageSize, true);
    let withFeatures = true;
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      parser.feed(chunk);
      while (parser.nextRow()) {
        const i = page.ids.length;
        const id = parser.textAt(0, decoder);
        page.ids.push(id);
        const x = parser.float8At(1);
        const tx = parser.float8At(2);
        const T = parser.float8At(3);
        page.x[i] = x;
        page.tx[i] = tx;
        page.T[i] = T;
        page.monetary[i] = parser.float8At(4);
        if (!(Number.isFinite(x) && Number.isFinite(tx) && Number.isFinite(T))) {
          throw new RangeError(
            `customer ${JSON.stringify(id)}: stored summary lacks numeric x/t_x/T`,
          );
        }
        const X = page.X as Float32Array;
        if (parser.float8ArrayAt(5, X, i * FEATURE_COUNT, FEATURE_COUNT) !== FEATURE_COUNT) {
          withFeatures = false;
        }
        if (page.ids.length === pageSize) {
          if (!withFeatures) page.X = null;
          yield page;
          page = emptyPage(pageSize, true);
          withFeatures = true;
        }
      }
    }
    if (!parser.done) throw new Error("COPY binary: the stream ended before its trailer");
    if (page.ids.length > 0) {
      if (!withFeatures) page.X = null;
      yield trimPage(page);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** The customers of a log to score: their summaries and feature rows at asOf, and which rows. */
export interface LogCustomers {
  summaries: CustomerSummaries;
  /** Row-major summaries.n × FEATURE_COUNT, or null when the model has no GBDT. */
  X: Float32Array | null;
  /** The rows of `summaries` to score (all, or the shard's), in order. */
  rows: Int32Array;
}

/**
 * Every customer of a log with a purchase on or before asOf, summarised and featurised at asOf:
 * typed columns only, so the log can be let go once this returns (logPages slices pages of it).
 */
export function logCustomers(
  log: TransactionLog,
  model: ScoringModel,
  asOf: string,
  shard: Shard | null,
): LogCustomers {
  const summaries = summarize(log, { calibrationEnd: asOf, timeUnit: model.timeUnit });
  const X = model.gbdt
    ? buildFeatureMatrix(log, summaries, {
        cutoffDay: isoDateToDay(asOf),
        timeUnit: model.timeUnit,
        horizon: model.trainedHorizon,
        btyd: { bgnbd: model.bgnbd, paretoNbd: model.paretoNbd },
      })
    : null;
  let rows = Int32Array.from({ length: summaries.n }, (_, i) => i);
  if (shard)
    rows = rows.filter((i) => shardOf(summaries.ids[i] as string, shard.count) === shard.index);
  return { summaries, X, rows };
}

/**
 * The pages of a log's customers, each built when it is asked for: all of them built up front
 * (as they were) held a second copy of every customer's columns and feature row while scoring.
 */
export function* logPages(
  { summaries, X, rows }: LogCustomers,
  pageSize: number,
): Generator<CustomerPage> {
  for (let start = 0; start < rows.length; start += pageSize) {
    const take = rows.subarray(start, Math.min(rows.length, start + pageSize));
    const pick = (col: Float64Array) => Float64Array.from(take, (i) => col[i]!);
    let pageX: Float32Array | null = null;
    if (X) {
      pageX = new Float32Array(take.length * FEATURE_COUNT);
      take.forEach((i, k) => {
        pageX?.set(X.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), k * FEATURE_COUNT);
      });
    }
    yield {
      ids: Array.from(take, (i) => summaries.ids[i] as string),
      x: pick(summaries.x),
      tx: pick(summaries.tx),
      T: pick(summaries.T),
      monetary: pick(summaries.monetary),
      X: pageX,
    };
  }
}

/** The forecast batch of a page: every customer with its feature row when the model has a GBDT. */
export function batchOfPage(page: CustomerPage, model: ScoringModel): ForecastBatchInput {
  const n = page.ids.length;
  const useX = model.gbdt !== null && page.X !== null;
  return {
    n,
    ids: page.ids,
    x: page.x,
    tx: page.tx,
    T: page.T,
    monetary: page.monetary,
    featureRow: useX ? Int32Array.from({ length: n }, (_, i) => i) : new Int32Array(n).fill(-1),
    storedRow: new Int32Array(n).fill(-1),
    X: useX ? (page.X as Float32Array) : new Float32Array(0),
    m: useX ? n : 0,
    errors: new Array(n).fill(null),
  };
}
