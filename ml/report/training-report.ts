// What `ml train`'s report.html shows: the parameter, holdout and spend tables built from
// metrics.json, the notes, and the chart rows (cumulative repeat purchases, mean holdout purchases
// by frequency, deciles, P(any purchase) calibration) from the holdout forecasts per customer.

import type { TrainingMetrics } from "../bundle/training-metrics.ts";
import { isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { type BgNbdParams, bgnbdExpectedPurchasesNewCustomer } from "../models/bgnbd.ts";
import type { GammaGammaParams } from "../models/gamma-gamma.ts";
import {
  type ParetoNbdParams,
  paretoNbdExpectedPurchasesNewCustomer,
} from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { byFrequencyTable, decileTable, probabilityCalibrationTable } from "./chart-tables.ts";
import type { IntervalCalibrationRows } from "./interval-calibration-charts.ts";
import type { ReportInput, ReportTable } from "./report-html.ts";
import { trackingCurve } from "./tracking-curve.ts";

/** The blend's share of the report, built by the stacking step. */
interface StackingReport {
  tables: ReportTable[];
  blendOof: Float64Array;
  intervalCalibration: IntervalCalibrationRows;
}

export interface TrainingReportParts {
  source: string;
  format: string;
  /** Null when trained from customer summaries (no cumulative chart). */
  log: TransactionLog | null;
  summaries: CustomerSummaries;
  bgnbd: FitResult<BgNbdParams>;
  paretoNbd: FitResult<ParetoNbdParams>;
  gammaGamma: FitResult<GammaGammaParams> | null;
  metrics: TrainingMetrics;
  /** Holdout forecasts per customer (null without a holdout). */
  bg: { expected: Float64Array; pAny: Float64Array } | null;
  pnbd: { expected: Float64Array; pAny: Float64Array } | null;
  /** GBDT out-of-fold forecasts (null without GBDT). */
  oof: { count: Float64Array; purchase: Float64Array } | null;
  stacking: StackingReport | null;
  notes: string[];
}

type Row = (string | number | null)[];

function formatParams(params: object): string {
  return Object.entries(params)
    .map(([k, v]) => `${k} = ${Number(v).toPrecision(4)}`)
    .join(", ");
}

/** A flagged model's warnings cell: "⚠ " and the warnings, or "none". */
function warningCell(warnings: string[]): string {
  return warnings.length === 0 ? "none" : `⚠ ${warnings.join("; ")}`;
}

function withSpread(v: number | null, spread?: { std: number | null }): string | number | null {
  if (v === null) return null;
  if (!spread || spread.std === null) return v;
  return `${v.toPrecision(4)} ± ${spread.std.toPrecision(2)}`;
}

function fitTable(parts: TrainingReportParts): ReportTable {
  const m = parts.metrics.models;
  const fitRow = (name: string, fit: FitResult<object>, warnings: string[]): Row => [
    name,
    formatParams(fit.params),
    fit.logLikelihood,
    fit.seconds,
    warningCell(warnings),
  ];
  return {
    title: "Parameters and fit",
    columns: ["model", "parameters", "log-likelihood", "fit seconds", "warnings"],
    rows: [
      fitRow("BG/NBD", parts.bgnbd, m.bgnbd.warnings),
      fitRow("Pareto/NBD", parts.paretoNbd, m.pareto_nbd.warnings),
      parts.gammaGamma
        ? fitRow("Gamma-Gamma", parts.gammaGamma, m.gamma_gamma?.warnings ?? [])
        : ["Gamma-Gamma", "not fitted", null, null, null],
    ],
  };
}

type CountHoldout = NonNullable<TrainingMetrics["models"]["bgnbd"]["holdout"]>;

function btydHoldoutRow(name: string, h: CountHoldout): Row {
  return [
    name,
    h.mae,
    h.rmse,
    h.poisson_deviance,
    h.predicted_total,
    h.actual_total,
    h.auc,
    h.log_loss,
  ];
}

function gbdtHoldoutRow(m: TrainingMetrics["models"]): Row | null {
  if (!m.gbdt_count || !m.gbdt_purchase) return null;
  const c = m.gbdt_count.holdout;
  const q = m.gbdt_purchase.holdout;
  return [
    `GBDT (out of fold, ${m.gbdt_count.folds} folds; ± fold std)`,
    withSpread(c.mae, c.spread.mae),
    withSpread(c.rmse, c.spread.rmse),
    withSpread(c.poisson_deviance, c.spread.poisson_deviance),
    c.predicted_total,
    c.actual_total,
    withSpread(q.auc, q.spread.auc),
    withSpread(q.log_loss, q.spread.log_loss),
  ];
}

/** Every scored model's holdout purchase days per customer; null without a holdout. */
function holdoutTable(parts: TrainingReportParts): ReportTable | null {
  const m = parts.metrics.models;
  const opts = parts.summaries.options;
  if (!m.bgnbd.holdout) return null;
  const rows: Row[] = [btydHoldoutRow("BG/NBD", m.bgnbd.holdout)];
  if (m.pareto_nbd.holdout) rows.push(btydHoldoutRow("Pareto/NBD", m.pareto_nbd.holdout));
  const gbdt = gbdtHoldoutRow(m);
  if (gbdt) rows.push(gbdt);
  if (m.blend) {
    const b = m.blend.holdout;
    rows.push([
      "blend (out of fold)",
      b.mae,
      b.rmse,
      b.poisson_deviance,
      b.predicted_total,
      b.actual_total,
      b.auc ?? null,
      b.log_loss ?? null,
    ]);
  }
  return {
    title: `Holdout: purchase days per customer after ${opts.calibrationEnd} up to ${opts.holdoutEnd}`,
    columns: [
      "model",
      "MAE",
      "RMSE",
      "Poisson deviance",
      "predicted total",
      "actual total",
      "AUC",
      "log loss",
    ],
    rows,
  };
}

function spendTable(metrics: TrainingMetrics): ReportTable | null {
  const spend = metrics.models.gbdt_spend;
  if (!spend) return null;
  const s = spend.holdout;
  return {
    title: "GBDT holdout spend (out of fold)",
    columns: ["model", "MAE", "RMSE", "predicted total", "actual total"],
    rows: [["GBDT spend (squared error)", s.mae, s.rmse, s.predicted_total, s.actual_total]],
  };
}

function reportNotes(parts: TrainingReportParts): string[] {
  const { metrics } = parts;
  const opts = parts.summaries.options;
  return [
    `data: ${parts.source} (${parts.format}), ${metrics.data.customers.toLocaleString("en-US")} customers` +
      (metrics.data.transactions === null
        ? ""
        : `, ${metrics.data.transactions.toLocaleString("en-US")} transactions`),
    `calibration ends ${opts.calibrationEnd}; holdout ends ${opts.holdoutEnd ?? "— (none)"}; time unit ${opts.timeUnit}`,
    `recommended model (best out-of-fold Poisson deviance): ${metrics.comparison.recommended}`,
    ...parts.notes,
    ...metrics.comparison.notes,
  ];
}

/** Weekly cumulative repeat purchases, actual and as BG/NBD and Pareto/NBD expect them. */
function cumulativeChart(
  parts: TrainingReportParts,
  log: TransactionLog,
): ReportInput["cumulative"] {
  const opts = parts.summaries.options;
  const calibrationEndDay = isoDateToDay(opts.calibrationEnd);
  const endDay = opts.holdoutEnd ? isoDateToDay(opts.holdoutEnd) : calibrationEndDay;
  return trackingCurve(log, parts.summaries, endDay, calibrationEndDay, {
    "BG/NBD": (t) => bgnbdExpectedPurchasesNewCustomer(parts.bgnbd.params, t),
    "Pareto/NBD": (t) => paretoNbdExpectedPurchasesNewCustomer(parts.paretoNbd.params, t),
  });
}

/** The holdout charts' rows (by frequency, deciles, P(any purchase) calibration, intervals). */
function holdoutCharts(
  parts: TrainingReportParts,
  bg: { expected: Float64Array; pAny: Float64Array },
  pnbd: { expected: Float64Array },
  report: ReportInput,
): void {
  const { oof, stacking } = parts;
  const actual = parts.summaries.holdoutPurchases;
  const series: Record<string, Float64Array> = {
    actual,
    "BG/NBD": bg.expected,
    "Pareto/NBD": pnbd.expected,
  };
  if (oof) series["GBDT (out of fold)"] = oof.count;
  if (stacking) {
    series["blend (out of fold)"] = stacking.blendOof;
    report.intervalCalibration = stacking.intervalCalibration;
  }
  report.byFrequency = byFrequencyTable(parts.summaries.x, series);
  report.deciles = [
    ...decileTable("BG/NBD", bg.expected, actual),
    ...(oof ? decileTable("GBDT (out of fold)", oof.count, actual) : []),
  ];
  report.probabilityCalibration = [
    ...probabilityCalibrationTable("BG/NBD", bg.pAny, actual),
    ...(oof ? probabilityCalibrationTable("GBDT (out of fold)", oof.purchase, actual) : []),
  ];
}

/** The training report's content (rendered by report-html.ts). */
export function trainingReport(parts: TrainingReportParts): ReportInput {
  const { metrics } = parts;
  const tables: ReportTable[] = [fitTable(parts)];
  for (const table of [holdoutTable(parts), spendTable(metrics)]) if (table) tables.push(table);
  if (parts.stacking) tables.push(...parts.stacking.tables);
  const report: ReportInput = {
    title: "purchase-prediction: training report",
    notes: reportNotes(parts),
    tables,
  };
  if (parts.log) report.cumulative = cumulativeChart(parts, parts.log);
  if (parts.bg && parts.pnbd) holdoutCharts(parts, parts.bg, parts.pnbd, report);
  return report;
}
