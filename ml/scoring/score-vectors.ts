// The score rows of a batch as columns for a columnar writer (Parquet through DuckDB): what a run
// shares once, per customer typed arrays taken straight from the batch and its forecasts, with no
// text in between. A column of SCORE_COLUMNS this file does not know is read back from the CSV
// text of score-columns.ts, so a new column is never missing, only slower.

import Papa from "papaparse";
import type { BatchForecast, ModelColumns } from "../forecasting/forecast-batch.ts";
import type { ForecastBatchInput } from "../forecasting/forecast-inputs.ts";
import { csvRows, recommendedOf, SCORE_COLUMNS, type ScoreRunFields } from "./score-columns.ts";

export type ColumnVector =
  | { kind: "constant"; value: string | number }
  | { kind: "text"; values: string[] }
  | { kind: "double"; values: Float64Array };

export interface ScoreVectors {
  rows: number;
  /** One per SCORE_COLUMNS entry, in its order. */
  columns: ColumnVector[];
}

const MODEL_COLUMNS: Record<string, (r: BatchForecast) => ModelColumns | null> = {
  bgnbd: (r) => r.bgnbd,
  pareto_nbd: (r) => r.paretoNbd,
  gbdt: (r) => r.gbdt,
  blend: (r) => r.blend,
};
const MODEL_FIELDS: Record<string, keyof ModelColumns> = {
  expected_purchases: "expectedPurchases",
  p_alive: "pAlive",
  p_purchase: "pPurchase",
  expected_spend: "expectedSpend",
  clv: "clv",
};
const MODEL_COLUMN =
  /^(bgnbd|pareto_nbd|gbdt|blend)_(expected_purchases|p_alive|p_purchase|expected_spend|clv)$/;

/** The rows kept (customers without an item error): null when every row is kept. */
function keptRows(batch: ForecastBatchInput): Int32Array | null {
  if (!batch.errors.some((e) => e)) return null;
  const kept: number[] = [];
  for (let i = 0; i < batch.n; i++) if (!batch.errors[i]) kept.push(i);
  return Int32Array.from(kept);
}

function pick(values: Float64Array, n: number, kept: Int32Array | null): Float64Array {
  if (kept) return Float64Array.from(kept, (i) => values[i]!);
  return values.length === n ? values : values.subarray(0, n);
}

function known(
  name: string,
  run: ScoreRunFields,
  batch: ForecastBatchInput,
  result: BatchForecast,
  kept: Int32Array | null,
): ColumnVector | null {
  const rows = () => kept ?? Int32Array.from({ length: batch.n }, (_, i) => i);
  const double = (values: Float64Array): ColumnVector => ({
    kind: "double",
    values: pick(values, batch.n, kept),
  });
  switch (name) {
    case "model":
      return { kind: "constant", value: run.model };
    case "version":
      return { kind: "constant", value: run.version };
    case "as_of":
      return { kind: "constant", value: run.asOf };
    case "horizon":
      return { kind: "constant", value: run.horizon };
    case "horizon_model_units":
      return { kind: "constant", value: run.horizonModelUnits };
    case "time_unit":
      return { kind: "constant", value: run.timeUnit };
    case "discount_rate":
      return { kind: "constant", value: run.discountRate };
    case "customer_id":
      return {
        kind: "text",
        values: kept ? Array.from(kept, (i) => batch.ids[i] as string) : batch.ids,
      };
    case "recommended":
      // Only a GBDT or blend recommendation can fall back to bgnbd row by row.
      if (run.recommended !== "gbdt" && run.recommended !== "blend") {
        return { kind: "constant", value: run.recommended };
      }
      return { kind: "text", values: Array.from(rows(), (i) => recommendedOf(run, result, i)) };
    case "frequency":
      return double(batch.x);
    case "recency":
      return double(batch.tx);
    case "age":
      return double(batch.T);
    case "monetary":
      return double(batch.monetary);
  }
  const m = MODEL_COLUMN.exec(name);
  if (!m) return null;
  const cols = (MODEL_COLUMNS[m[1] as string] as (r: BatchForecast) => ModelColumns | null)(result);
  if (cols === null) {
    return {
      kind: "double",
      values: new Float64Array(kept ? kept.length : batch.n).fill(Number.NaN),
    };
  }
  return double(cols[MODEL_FIELDS[m[2] as string] as keyof ModelColumns]);
}

/** The columns of a scored batch (customers with an item error left out, as in csvRows). */
export function scoreVectors(
  run: ScoreRunFields,
  batch: ForecastBatchInput,
  result: BatchForecast,
): ScoreVectors {
  const kept = keptRows(batch);
  const rows = kept ? kept.length : batch.n;
  const columns: (ColumnVector | null)[] = SCORE_COLUMNS.map((c) =>
    known(c.name, run, batch, result, kept),
  );
  if (columns.some((c) => c === null)) {
    // Columns added to score-columns.ts without a typed path here: parse them from the CSV text.
    const parsed = Papa.parse<string[]>(csvRows(run, batch, result), { skipEmptyLines: true });
    SCORE_COLUMNS.forEach((c, j) => {
      if (columns[j] !== null) return;
      const texts = parsed.data.map((row) => row[j] ?? "");
      columns[j] =
        c.type === "text" || c.type === "date"
          ? { kind: "text", values: texts }
          : {
              kind: "double",
              values: Float64Array.from(texts, (t) => (t === "" ? Number.NaN : Number(t))),
            };
    });
  }
  return { rows, columns: columns as ColumnVector[] };
}
