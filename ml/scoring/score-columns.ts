// The row `ml score` writes per customer, one layout for CSV, Parquet and PostgreSQL: who (model,
// version, customer), when (as_of, horizon), the summary, the recommended model and per model
// expected purchases, P(alive), P(≥ 1 purchase), expected spend and CLV (empty/NULL where a model
// has no value, e.g. no GBDT). Numbers are written in full (shortest round-trip) precision.
// With `--intervals 0.8,0.95`, per model and level the lo/hi of purchases, spend and CLV follow
// (ml/forecasting/intervals.ts, the function /forecast uses), e.g. bgnbd_purchases_lo_80.

import { csvField } from "../data/csv-quote.ts";
import { batchForecastIntervals } from "../forecasting/batch-intervals.ts";
import type { BatchForecast, ModelColumns } from "../forecasting/forecast-batch.ts";
import type { ForecastBatchInput } from "../forecasting/forecast-inputs.ts";
import type { IntervalModelParams } from "../forecasting/intervals.ts";

export type ColumnType = "text" | "integer" | "date" | "double";

const MODEL_PREFIXES = ["bgnbd", "pareto_nbd", "gbdt", "blend"] as const;
const MODEL_FIELDS = [
  "expected_purchases",
  "p_alive",
  "p_purchase",
  "expected_spend",
  "clv",
] as const;

export const SCORE_COLUMNS: readonly { name: string; type: ColumnType }[] = [
  { name: "model", type: "text" },
  { name: "version", type: "integer" },
  { name: "customer_id", type: "text" },
  { name: "as_of", type: "date" },
  { name: "horizon", type: "text" },
  { name: "horizon_model_units", type: "double" },
  { name: "time_unit", type: "text" },
  { name: "discount_rate", type: "double" },
  { name: "recommended", type: "text" },
  { name: "frequency", type: "double" },
  { name: "recency", type: "double" },
  { name: "age", type: "double" },
  { name: "monetary", type: "double" },
  ...MODEL_PREFIXES.flatMap((m) =>
    MODEL_FIELDS.map((f) => ({ name: `${m}_${f}`, type: "double" as const })),
  ),
];

const INTERVAL_FIELDS = ["purchases", "spend", "clv"] as const;

/** 0.8 → "80", 0.975 → "97_5": the level as a column-name suffix (4 decimals of the percentage). */
export function levelSuffix(level: number): string {
  return String(Number((level * 100).toFixed(4))).replace(".", "_");
}

/** The columns of a run: SCORE_COLUMNS, then per model, level and field the lo and hi columns. */
export function scoreColumns(levels: readonly number[] = []): readonly {
  name: string;
  type: ColumnType;
}[] {
  if (levels.length === 0) return SCORE_COLUMNS;
  const extra = MODEL_PREFIXES.flatMap((m) =>
    levels.flatMap((level) =>
      INTERVAL_FIELDS.flatMap((f) =>
        ["lo", "hi"].map((side) => ({
          name: `${m}_${f}_${side}_${levelSuffix(level)}`,
          type: "double" as const,
        })),
      ),
    ),
  );
  return [...SCORE_COLUMNS, ...extra];
}

/** What every row of a run shares. */
export interface ScoreRunFields {
  model: string;
  version: number;
  asOf: string;
  /** As given, e.g. "52w". */
  horizon: string;
  horizonModelUnits: number;
  timeUnit: "day" | "week";
  discountRate: number;
  /** The model's recommendation (rows without a GBDT or blend value fall back to bgnbd, as /forecast). */
  recommended: "gbdt" | "bgnbd" | "pareto_nbd" | "blend";
  /** Interval levels and the model's interval inputs (from model.json); absent: no such columns. */
  intervals?: { levels: readonly number[]; params: IntervalModelParams };
}

const num = (v: number) => (Number.isFinite(v) ? String(v) : "");

/** The header line (no newline). */
export function csvHeader(levels: readonly number[] = []): string {
  return scoreColumns(levels)
    .map((c) => c.name)
    .join(",");
}

/** Per customer, the interval columns' CSV text (leading comma), or null without intervals. */
function intervalFields(
  run: ScoreRunFields,
  batch: ForecastBatchInput,
  result: BatchForecast,
): string[] | null {
  if (!run.intervals) return null;
  const { levels, params } = run.intervals;
  const intervals = batchForecastIntervals(params, batch, result, levels);
  const empty = ",".repeat(levels.length * INTERVAL_FIELDS.length * 2);
  return Array.from({ length: batch.n }, (_, i) => {
    let text = "";
    for (const m of MODEL_PREFIXES) {
      const model = intervals[m];
      if (!model) {
        text += empty;
        continue;
      }
      for (const cols of model.byLevel) {
        for (const f of INTERVAL_FIELDS) {
          text += `,${num(cols[f][2 * i]!)},${num(cols[f][2 * i + 1]!)}`;
        }
      }
    }
    return text;
  });
}

/** The model served to customer i: the recommended one, or bgnbd where it has no value (as /forecast). */
export function recommendedOf(
  run: ScoreRunFields,
  result: BatchForecast,
  i: number,
): ScoreRunFields["recommended"] {
  const served = run.recommended === "gbdt" ? result.gbdt : result.blend;
  const missing =
    (run.recommended === "gbdt" || run.recommended === "blend") &&
    (served === null || Number.isNaN(served.expectedPurchases[i]!));
  return missing ? "bgnbd" : run.recommended;
}

/** CSV lines (each ending in \n) of a scored batch; customers with an item error are skipped. */
export function csvRows(
  run: ScoreRunFields,
  batch: ForecastBatchInput,
  result: BatchForecast,
  idField: (id: string) => string = csvField,
): string {
  const prefix = `${csvField(run.model)},${run.version},`;
  const middle = `,${run.asOf},${csvField(run.horizon)},${num(run.horizonModelUnits)},${run.timeUnit},${num(run.discountRate)},`;
  const models: (ModelColumns | null)[] = [
    result.bgnbd,
    result.paretoNbd,
    result.gbdt,
    result.blend,
  ];
  const parts: string[] = [];
  const intervals = intervalFields(run, batch, result);
  for (let i = 0; i < batch.n; i++) {
    if (batch.errors[i]) continue;
    const recommended = recommendedOf(run, result, i);
    let line = `${prefix}${idField(batch.ids[i] as string)}${middle}${recommended},${num(batch.x[i]!)},${num(batch.tx[i]!)},${num(batch.T[i]!)},${num(batch.monetary[i]!)}`;
    for (const cols of models) {
      if (cols === null) {
        line += ",,,,,";
        continue;
      }
      line += `,${num(cols.expectedPurchases[i]!)},${num(cols.pAlive[i]!)},${num(cols.pPurchase[i]!)},${num(cols.expectedSpend[i]!)},${num(cols.clv[i]!)}`;
    }
    if (intervals) line += intervals[i];
    parts.push(line);
  }
  return parts.length === 0 ? "" : `${parts.join("\n")}\n`;
}
