// The in-memory heart of `ml train`: fits BG/NBD, Pareto/NBD and Gamma-Gamma on the calibration
// summaries, scores them on the holdout, builds customer features, cross-validates the three GBDT
// models over customers (K folds, out-of-fold scores) and refits them on everyone. No file I/O, so
// the CLI and the demo model share it.

import { finiteOrNull, type TrainingMetrics } from "../bundle/training-metrics.ts";
import { dayToIsoDate, isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import {
  type CountMetrics,
  countMetrics,
  meanAbsoluteError,
  type PurchaseMetrics,
  purchaseMetrics,
  rootMeanSquaredError,
  spreadAcrossFolds,
  total,
} from "../evaluation/metrics.ts";
import { btydFeatures } from "../features/btyd-features.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { buildFeatureMatrix, FEATURE_COUNT, FEATURE_LAYOUT } from "../features/feature-vector.ts";
import { parameterCovariances } from "../forecasting/parameter-uncertainty.ts";
import type { GbdtModel } from "../gbdt/gbdt-model.ts";
import { type BgNbdParams, bgnbdExpectedPurchasesNewCustomer, fitBgNbd } from "../models/bgnbd.ts";
import { fitGammaGamma, type GammaGammaParams } from "../models/gamma-gamma.ts";
import {
  fitParetoNbd,
  type ParetoNbdParams,
  paretoNbdExpectedPurchasesNewCustomer,
  paretoNbdProbabilityOfPurchase,
} from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import {
  byFrequencyTable,
  decileTable,
  probabilityCalibrationTable,
} from "../report/chart-tables.ts";
import type { ReportInput, ReportTable } from "../report/report-html.ts";
import { diagnoseFits, recommendUnflagged } from "./fit-warnings.ts";
import { crossValidateGbdt, smallDataGbdtOptions } from "./gbdt-cross-validation.ts";
import {
  intervalCalibrationRows,
  type StackingResult,
  stackAndCalibrate,
  stackingMetrics,
  stackingTables,
} from "./stacking.ts";
import type { StepLog } from "./step-log.ts";
import { createStepLog } from "./step-log.ts";
import { trackingCurve } from "./tracking-curve.ts";

export type DataFormat = "csv" | "parquet" | "json" | "postgres" | "cdnow" | "summary";
/** Where the training data came from: a file format, or a simulation (the demo model). */
export type DataOrigin = DataFormat | "simulated";

export interface TrainModelsInput {
  /** The transaction log; null when training from a summary file (no holdout, no GBDT). */
  log: TransactionLog | null;
  summaries: CustomerSummaries;
  source: string;
  format: DataOrigin;
}

export interface TrainModelsOptions {
  /** K of the K-fold cross-validation over customers (default 5). */
  folds?: number;
  seed?: number;
  /** Fewer, larger boosting steps (the demo model). */
  fast?: boolean;
  steps?: StepLog;
}

export interface GbdtModels {
  count: GbdtModel;
  purchase: GbdtModel;
  spend: GbdtModel;
}

export interface TrainedModels {
  bgnbd: FitResult<BgNbdParams>;
  paretoNbd: FitResult<ParetoNbdParams>;
  gammaGamma: FitResult<GammaGammaParams> | null;
  /** Feature matrix of every summarised customer at the calibration end (null without a log). */
  features: Float32Array | null;
  gbdt: GbdtModels | null;
  /** The GBDT models' horizon (holdout length in time units); 0 without GBDT. */
  horizon: number;
  recommended: "gbdt" | "bgnbd" | "pareto_nbd" | "blend";
  /** Blend weights, dispersion and calibration (null without a holdout and GBDT). */
  stacking: StackingResult | null;
  /** Log-parameter covariances for the intervals' parameter uncertainty. */
  covariances: ReturnType<typeof parameterCovariances>;
  metrics: TrainingMetrics;
  report: ReportInput;
}

const GROUPS_BY_LOSS = { count: "poisson", purchase: "logistic", spend: "squared" } as const;

function round(v: number, digits = 4): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}

/** Change of `b` relative to `a`, in percent (negative = lower). */
function percentChange(a: number, b: number): number {
  return ((b - a) / Math.abs(a)) * 100;
}

/** The training's warning for a fit that did not converge, saying why and what was kept. */
export function fitWarning(name: string, fit: FitResult<object>): string {
  const kept = `the best parameters found are used (log-likelihood ${round(fit.logLikelihood, 3)})`;
  switch (fit.stopped) {
    case "evaluations":
      return `${name} fit did not converge: stopped after ${fit.evaluations} likelihood evaluations; ${kept}`;
    case "time":
      return `${name} fit did not converge: stopped after ${round(fit.seconds, 1)} s; ${kept}`;
    case "domain-edge":
      return (
        `${name} fit did not converge: the likelihood still rises at the edge of the region where ` +
        `it can be evaluated (for Pareto/NBD: s and beta growing together, i.e. nearly the same ` +
        `dropout rate for everyone); ${kept}`
      );
    default:
      return `${name} fit did not meet the gradient tolerance; ${kept}`;
  }
}

export async function trainModels(
  input: TrainModelsInput,
  options: TrainModelsOptions = {},
): Promise<TrainedModels> {
  const steps = options.steps ?? createStepLog({ write: null });
  const k = options.folds ?? 5;
  const seed = options.seed ?? 42;
  const { summaries, log } = input;
  const opts = summaries.options;
  const notes: string[] = [];
  if (summaries.n === 0)
    throw new RangeError("data: no customer purchased on or before the calibration end");

  // 1. BTYD fits on (x, t_x, T); Gamma-Gamma on repeat buyers' mean repeat spend.
  const bgnbd = await steps.step("fit BG/NBD", () => fitBgNbd(summaries));
  const paretoNbd = await steps.step("fit Pareto/NBD", () => fitParetoNbd(summaries));
  // Gamma-Gamma needs a positive mean repeat spend ($0 repeat buyers get the population mean).
  const repeatBuyers = summaries.x.reduce(
    (s, x, i) => s + (x > 0 && summaries.monetary[i] > 0 ? 1 : 0),
    0,
  );
  let gammaGamma: FitResult<GammaGammaParams> | null = null;
  if (repeatBuyers >= 10) {
    gammaGamma = await steps.step("fit Gamma-Gamma", () =>
      fitGammaGamma({ x: summaries.x, monetary: summaries.monetary }),
    );
  } else {
    notes.push(`Gamma-Gamma not fitted: only ${repeatBuyers} repeat buyers with spend > 0`);
  }
  const diagnostics = diagnoseFits(summaries, bgnbd, paretoNbd, gammaGamma);
  if (diagnostics.zeroSpendRepeatBuyers > 0) {
    notes.push(
      `${diagnostics.zeroSpendRepeatBuyers} repeat buyers with mean repeat spend $0: left out of the Gamma-Gamma fit, predicted at its population mean`,
    );
  }
  for (const w of [...diagnostics.bgnbd, ...diagnostics.pareto_nbd, ...diagnostics.gamma_gamma]) {
    steps.warn(`fit warning: ${w}`);
    notes.push(`WARNING: ${w}`);
  }
  for (const [name, fit] of [
    ["BG/NBD", bgnbd],
    ["Pareto/NBD", paretoNbd],
  ] as const) {
    if (!fit.converged) {
      const warning = fitWarning(name, fit);
      steps.warn(warning);
      notes.push(warning);
    }
  }

  const hasHoldout = log !== null && opts.holdoutEnd !== undefined && summaries.holdoutLength > 0;
  const horizon = summaries.holdoutLength;
  const actual = summaries.holdoutPurchases;
  const btydParams = { bgnbd: bgnbd.params, paretoNbd: paretoNbd.params };

  // 2. Holdout predictions of the BTYD models, per customer.
  let bg: { expected: Float64Array; pAny: Float64Array } | null = null;
  let pnbd: { expected: Float64Array; pAny: Float64Array } | null = null;
  let bgHoldout: (CountMetrics & PurchaseMetrics) | null = null;
  let pnbdHoldout: (CountMetrics & PurchaseMetrics) | null = null;
  if (hasHoldout) {
    await steps.step("holdout predictions (BTYD)", () => {
      const n = summaries.n;
      bg = { expected: new Float64Array(n), pAny: new Float64Array(n) };
      pnbd = { expected: new Float64Array(n), pAny: new Float64Array(n) };
      for (let i = 0; i < n; i++) {
        const f = btydFeatures(
          btydParams,
          summaries.x[i],
          summaries.tx[i],
          summaries.T[i],
          horizon,
        );
        bg.expected[i] = f.bgnbdExpected;
        bg.pAny[i] = f.bgnbdPAny;
        pnbd.expected[i] = f.pnbdExpected;
        pnbd.pAny[i] = paretoNbdProbabilityOfPurchase(
          btydParams.paretoNbd,
          horizon,
          summaries.x[i],
          summaries.tx[i],
          summaries.T[i],
        );
      }
      bgHoldout = { ...countMetrics(actual, bg.expected), ...purchaseMetrics(actual, bg.pAny) };
      pnbdHoldout = {
        ...countMetrics(actual, pnbd.expected),
        ...purchaseMetrics(actual, pnbd.pAny),
      };
    });
  } else if (log === null) {
    notes.push(
      "trained from customer summaries: no transactions, so no holdout evaluation and no GBDT",
    );
  } else {
    notes.push("no holdout period: no holdout evaluation and no GBDT");
  }

  // 3. Features and K-fold GBDT.
  let features: Float32Array | null = null;
  let gbdt: GbdtModels | null = null;
  let gbdtMetrics: Pick<TrainingMetrics["models"], "gbdt_count" | "gbdt_purchase" | "gbdt_spend"> =
    {
      gbdt_count: null,
      gbdt_purchase: null,
      gbdt_spend: null,
    };
  let oof: { count: Float64Array; purchase: Float64Array; spend: Float64Array } | null = null;
  let gbdtHoldout: { count: CountMetrics; purchase: PurchaseMetrics } | null = null;
  if (log !== null) {
    const cutoffDay = isoDateToDay(opts.calibrationEnd);
    features = await steps.step("customer features", () =>
      buildFeatureMatrix(log, summaries, {
        cutoffDay,
        timeUnit: opts.timeUnit,
        horizon: hasHoldout ? horizon : 0,
        btyd: btydParams,
      }),
    );
  }
  if (hasHoldout && features && summaries.n >= 5 * k) {
    const X = features;
    const n = summaries.n;
    const folds = kFoldSplit(n, k, seed);
    const trainingRows = Math.round((n * (k - 1)) / k);
    const anyPurchase = Float64Array.from(actual, (v) => (v > 0 ? 1 : 0));
    const targets = { count: actual, purchase: anyPurchase, spend: summaries.holdoutSpend };
    const counter = steps.counter("GBDT folds", 3 * k);
    const cv = await steps.step(`GBDT ${k}-fold cross-validation + final fit`, () => {
      const tick = (what: string) => (f: number) => counter.tick(`${what} fold ${f + 1}`);
      const count = crossValidateGbdt(
        X,
        targets.count,
        folds,
        smallDataGbdtOptions(GROUPS_BY_LOSS.count, trainingRows, seed, options.fast),
        (a, p) => countMetrics(a, p),
        tick("count"),
      );
      const purchase = crossValidateGbdt(
        X,
        targets.purchase,
        folds,
        smallDataGbdtOptions(GROUPS_BY_LOSS.purchase, trainingRows, seed, options.fast),
        (a, p) => purchaseMetrics(a, p),
        tick("purchase"),
      );
      const spend = crossValidateGbdt(
        X,
        targets.spend,
        folds,
        smallDataGbdtOptions(GROUPS_BY_LOSS.spend, trainingRows, seed, options.fast),
        (a, p) => ({
          mae: meanAbsoluteError(a, p),
          rmse: rootMeanSquaredError(a, p),
          predicted_total: total(p),
          actual_total: total(a),
        }),
        tick("spend"),
      );
      counter.stop();
      return { count, purchase, spend };
    });
    gbdt = { count: cv.count.final, purchase: cv.purchase.final, spend: cv.spend.final };
    oof = { count: cv.count.oof, purchase: cv.purchase.oof, spend: cv.spend.oof };
    const spendPredicted = cv.spend.oof;
    gbdtHoldout = {
      count: countMetrics(actual, cv.count.oof),
      purchase: purchaseMetrics(actual, cv.purchase.oof),
    };
    gbdtMetrics = {
      gbdt_count: {
        holdout: {
          ...gbdtHoldout.count,
          folds: cv.count.folds as unknown as Record<string, number>[],
          spread: spreadAcrossFolds(cv.count.folds),
        },
        folds: k,
        trees: gbdt.count.trees.length,
        train_seconds: cv.count.seconds,
      },
      gbdt_purchase: {
        holdout: {
          ...gbdtHoldout.purchase,
          folds: cv.purchase.folds as unknown as Record<string, number>[],
          spread: spreadAcrossFolds(cv.purchase.folds),
        },
        folds: k,
        trees: gbdt.purchase.trees.length,
        train_seconds: cv.purchase.seconds,
      },
      gbdt_spend: {
        loss: "squared",
        holdout: {
          mae: meanAbsoluteError(targets.spend, spendPredicted),
          rmse: rootMeanSquaredError(targets.spend, spendPredicted),
          predicted_total: total(spendPredicted),
          actual_total: total(targets.spend),
          folds: cv.spend.folds as unknown as Record<string, number>[],
          spread: spreadAcrossFolds(cv.spend.folds),
        },
        folds: k,
        trees: gbdt.spend.trees.length,
        train_seconds: cv.spend.seconds,
      },
    };
  } else if (hasHoldout) {
    notes.push(`too few customers (${summaries.n}) for ${k}-fold GBDT: no GBDT`);
  }

  // 3b. Parameter uncertainty; with out-of-fold GBDT forecasts, the blend, the count models'
  //     dispersion, holdout calibration and per-segment errors (ml/pipelines/stacking.ts).
  const covariances = await steps.step("parameter covariances", () =>
    parameterCovariances(
      summaries,
      {
        bgnbd: bgnbd.params,
        paretoNbd: paretoNbd.params,
        gammaGamma: gammaGamma?.params ?? null,
      },
      { bgnbd: bgnbd.stopped, paretoNbd: paretoNbd.stopped },
    ),
  );
  for (const [model, why] of Object.entries(covariances.omitted ?? {})) {
    notes.push(`WARNING: ${model} intervals omitted: ${why}`);
  }
  let stacking: StackingResult | null = null;
  const btydHoldout = bg as { expected: Float64Array } | null;
  const pnbdExpected = pnbd as { expected: Float64Array } | null;
  if (oof && btydHoldout && pnbdExpected) {
    const gbdtOof = (oof as { count: Float64Array }).count;
    stacking = await steps.step("blend, dispersion and calibration", () =>
      stackAndCalibrate({
        summaries,
        forecasts: {
          bgnbd: btydHoldout.expected,
          pareto_nbd: pnbdExpected.expected,
          gbdt: gbdtOof,
        },
        folds: kFoldSplit(summaries.n, k, seed),
        params: {
          bgnbd: bgnbd.params,
          paretoNbd: paretoNbd.params,
          gammaGamma: gammaGamma?.params ?? null,
        },
        covariances,
        seed,
      }),
    );
  }

  for (const w of stacking?.intervalWarnings ?? []) {
    steps.warn(`intervals: ${w}`);
    notes.push(`WARNING: intervals: ${w}`);
  }

  // 4. Which model to recommend: best out-of-fold Poisson deviance; without a holdout, the better
  //    BTYD log-likelihood.
  const deviances: Record<"gbdt" | "bgnbd" | "pareto_nbd" | "blend", number> = {
    blend: stacking?.blendHoldout.poisson_deviance ?? Number.POSITIVE_INFINITY,
    gbdt: (gbdtHoldout as typeof gbdtHoldout)?.count.poisson_deviance ?? Number.POSITIVE_INFINITY,
    bgnbd: (bgHoldout as CountMetrics | null)?.poisson_deviance ?? Number.POSITIVE_INFINITY,
    pareto_nbd: (pnbdHoldout as CountMetrics | null)?.poisson_deviance ?? Number.POSITIVE_INFINITY,
  };
  // A model with fit warnings is never recommended (fit-warnings.ts).
  const scored = Number.isFinite(Math.min(...Object.values(deviances)))
    ? recommendUnflagged(deviances, false, diagnostics)
    : recommendUnflagged(
        {
          gbdt: Number.NEGATIVE_INFINITY,
          bgnbd: bgnbd.logLikelihood,
          pareto_nbd: paretoNbd.logLikelihood,
        },
        true,
        diagnostics,
      );
  const recommended: TrainedModels["recommended"] = scored.recommended;
  const comparisonNotes: string[] = scored.note ? [scored.note] : [];
  const comparison: TrainingMetrics["comparison"] = { recommended, notes: comparisonNotes };
  const bgH = bgHoldout as (CountMetrics & PurchaseMetrics) | null;
  const gbdtH = gbdtHoldout as typeof gbdtHoldout;
  if (bgH && gbdtH) {
    const gc = { holdout: gbdtH.count };
    const gp = { holdout: gbdtH.purchase };
    const totalError = (m: CountMetrics) => percentChange(m.actual_total, m.predicted_total);
    Object.assign(comparison, {
      gbdt_vs_bgnbd: {
        poisson_deviance_change_pct: round(
          percentChange(bgH.poisson_deviance, gc.holdout.poisson_deviance),
          2,
        ),
        total_error_pct: {
          gbdt: round(totalError(gc.holdout), 2),
          bgnbd: round(totalError(bgH), 2),
        },
        log_loss_change_pct: round(percentChange(bgH.log_loss, gp.holdout.log_loss), 2),
        auc_difference: round(gp.holdout.auc - bgH.auc, 4),
        mae_change_pct: round(percentChange(bgH.mae, gc.holdout.mae), 2),
      },
    });
    comparisonNotes.push(
      `GBDT count (out of fold) Poisson deviance ${gc.holdout.poisson_deviance.toFixed(4)} vs BG/NBD ${bgH.poisson_deviance.toFixed(4)}`,
      `holdout total: actual ${bgH.actual_total}, GBDT ${gc.holdout.predicted_total.toFixed(1)}, BG/NBD ${bgH.predicted_total.toFixed(1)}`,
      `P(any purchase): GBDT AUC ${gp.holdout.auc.toFixed(4)} / log loss ${gp.holdout.log_loss.toFixed(4)}, BG/NBD AUC ${bgH.auc.toFixed(4)} / log loss ${bgH.log_loss.toFixed(4)}`,
    );
  }

  const transactions = log ? log.length : null;
  const metrics: TrainingMetrics = finiteOrNull({
    data: {
      customers: summaries.n,
      transactions,
      calibration_end: opts.calibrationEnd,
      holdout_end: opts.holdoutEnd ?? null,
      time_unit: opts.timeUnit,
      holdout_length: horizon,
      excluded_after_calibration: summaries.excludedAfterCalibration,
      source: input.source,
      format: input.format,
    },
    models: {
      bgnbd: {
        params: bgnbd.params,
        log_likelihood: bgnbd.logLikelihood,
        fit_seconds: bgnbd.seconds,
        holdout: bgHoldout,
        warnings: diagnostics.bgnbd,
      },
      pareto_nbd: {
        params: paretoNbd.params,
        log_likelihood: paretoNbd.logLikelihood,
        fit_seconds: paretoNbd.seconds,
        holdout: pnbdHoldout,
        warnings: diagnostics.pareto_nbd,
      },
      gamma_gamma: gammaGamma
        ? {
            params: gammaGamma.params,
            log_likelihood: gammaGamma.logLikelihood,
            fit_seconds: gammaGamma.seconds,
            customers: gammaGamma.customers,
            zero_spend_customers: diagnostics.zeroSpendRepeatBuyers,
            warnings: diagnostics.gamma_gamma,
          }
        : null,
      ...gbdtMetrics,
      ...(stacking ? stackingMetrics(stacking).models : {}),
    },
    ...(stacking ? { calibration: stackingMetrics(stacking).calibration } : {}),
    ...(stacking ? { by_segment: stackingMetrics(stacking).by_segment } : {}),
    comparison,
    notes,
    seconds: { ...steps.seconds },
  });

  // 5. What the report draws.
  const report = await steps.step("report data", () =>
    buildReportInput(input, {
      bgnbd,
      paretoNbd,
      gammaGamma,
      metrics,
      bg,
      pnbd,
      oof,
      stacking,
      notes,
    }),
  );
  return {
    bgnbd,
    paretoNbd,
    gammaGamma,
    features,
    gbdt,
    horizon: gbdt ? horizon : 0,
    recommended,
    stacking,
    covariances,
    metrics,
    report,
  };
}

interface ReportParts {
  bgnbd: FitResult<BgNbdParams>;
  paretoNbd: FitResult<ParetoNbdParams>;
  gammaGamma: FitResult<GammaGammaParams> | null;
  metrics: TrainingMetrics;
  bg: { expected: Float64Array; pAny: Float64Array } | null;
  pnbd: { expected: Float64Array; pAny: Float64Array } | null;
  oof: { count: Float64Array; purchase: Float64Array; spend: Float64Array } | null;
  stacking: StackingResult | null;
  notes: string[];
}

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

function buildReportInput(input: TrainModelsInput, parts: ReportParts): ReportInput {
  const { summaries, log } = input;
  const { metrics } = parts;
  const opts = summaries.options;
  const m = metrics.models;
  const tables: ReportTable[] = [
    {
      title: "Parameters and fit",
      columns: ["model", "parameters", "log-likelihood", "fit seconds", "warnings"],
      rows: [
        [
          "BG/NBD",
          formatParams(parts.bgnbd.params),
          parts.bgnbd.logLikelihood,
          parts.bgnbd.seconds,
          warningCell(m.bgnbd.warnings),
        ],
        [
          "Pareto/NBD",
          formatParams(parts.paretoNbd.params),
          parts.paretoNbd.logLikelihood,
          parts.paretoNbd.seconds,
          warningCell(m.pareto_nbd.warnings),
        ],
        parts.gammaGamma
          ? [
              "Gamma-Gamma",
              formatParams(parts.gammaGamma.params),
              parts.gammaGamma.logLikelihood,
              parts.gammaGamma.seconds,
              warningCell(m.gamma_gamma?.warnings ?? []),
            ]
          : ["Gamma-Gamma", "not fitted", null, null, null],
      ],
    },
  ];
  if (m.bgnbd.holdout) {
    const rows: (string | number | null)[][] = [];
    const h = m.bgnbd.holdout;
    rows.push([
      "BG/NBD",
      h.mae,
      h.rmse,
      h.poisson_deviance,
      h.predicted_total,
      h.actual_total,
      h.auc,
      h.log_loss,
    ]);
    const p = m.pareto_nbd.holdout;
    if (p)
      rows.push([
        "Pareto/NBD",
        p.mae,
        p.rmse,
        p.poisson_deviance,
        p.predicted_total,
        p.actual_total,
        p.auc,
        p.log_loss,
      ]);
    if (m.gbdt_count && m.gbdt_purchase) {
      const c = m.gbdt_count.holdout;
      const q = m.gbdt_purchase.holdout;
      rows.push([
        `GBDT (out of fold, ${m.gbdt_count.folds} folds; ± fold std)`,
        withSpread(c.mae, c.spread.mae),
        withSpread(c.rmse, c.spread.rmse),
        withSpread(c.poisson_deviance, c.spread.poisson_deviance),
        c.predicted_total,
        c.actual_total,
        withSpread(q.auc, q.spread.auc),
        withSpread(q.log_loss, q.spread.log_loss),
      ]);
    }
    if (m.blend) {
      const b = m.blend.holdout;
      rows.push([
        "blend (out of fold)",
        b.mae,
        b.rmse,
        b.poisson_deviance,
        b.predicted_total,
        b.actual_total,
        null,
        null,
      ]);
    }
    tables.push({
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
    });
  }
  if (m.gbdt_spend) {
    const s = m.gbdt_spend.holdout;
    tables.push({
      title: "GBDT holdout spend (out of fold)",
      columns: ["model", "MAE", "RMSE", "predicted total", "actual total"],
      rows: [["GBDT spend (squared error)", s.mae, s.rmse, s.predicted_total, s.actual_total]],
    });
  }

  if (parts.stacking) tables.push(...stackingTables(parts.stacking));
  const report: ReportInput = {
    title: "purchase-prediction: training report",
    notes: [
      `data: ${input.source} (${input.format}), ${metrics.data.customers.toLocaleString("en-US")} customers` +
        (metrics.data.transactions === null
          ? ""
          : `, ${metrics.data.transactions.toLocaleString("en-US")} transactions`),
      `calibration ends ${opts.calibrationEnd}; holdout ends ${opts.holdoutEnd ?? "— (none)"}; time unit ${opts.timeUnit}`,
      `recommended model (best out-of-fold Poisson deviance): ${metrics.comparison.recommended}`,
      ...parts.notes,
      ...metrics.comparison.notes,
    ],
    tables,
  };

  if (log) {
    const calibrationEndDay = isoDateToDay(opts.calibrationEnd);
    const endDay = opts.holdoutEnd ? isoDateToDay(opts.holdoutEnd) : calibrationEndDay;
    report.cumulative = trackingCurve(log, summaries, endDay, calibrationEndDay, {
      "BG/NBD": (t) => bgnbdExpectedPurchasesNewCustomer(parts.bgnbd.params, t),
      "Pareto/NBD": (t) => paretoNbdExpectedPurchasesNewCustomer(parts.paretoNbd.params, t),
    });
  }
  if (parts.bg && parts.pnbd) {
    const series: Record<string, Float64Array> = {
      actual: summaries.holdoutPurchases,
      "BG/NBD": parts.bg.expected,
      "Pareto/NBD": parts.pnbd.expected,
    };
    if (parts.oof) series["GBDT (out of fold)"] = parts.oof.count;
    if (parts.stacking) {
      series["blend (out of fold)"] = parts.stacking.blendOof;
      report.intervalCalibration = intervalCalibrationRows(parts.stacking);
    }
    report.byFrequency = byFrequencyTable(summaries.x, series);
    report.deciles = [
      ...decileTable("BG/NBD", parts.bg.expected, summaries.holdoutPurchases),
      ...(parts.oof
        ? decileTable("GBDT (out of fold)", parts.oof.count, summaries.holdoutPurchases)
        : []),
    ];
    report.probabilityCalibration = [
      ...probabilityCalibrationTable("BG/NBD", parts.bg.pAny, summaries.holdoutPurchases),
      ...(parts.oof
        ? probabilityCalibrationTable(
            "GBDT (out of fold)",
            parts.oof.purchase,
            summaries.holdoutPurchases,
          )
        : []),
    ];
  }
  return report;
}

/** The per-customer rows the registry stores: summary at the cutoff and feature vector. */
export function* customerFeatureRows(
  summaries: CustomerSummaries,
  features: Float32Array | null,
): Generator<{
  customerId: string;
  summary: Record<string, unknown>;
  features: ArrayLike<number>;
}> {
  for (let i = 0; i < summaries.n; i++) {
    yield {
      customerId: summaries.ids[i],
      summary: {
        x: summaries.x[i],
        t_x: summaries.tx[i],
        T: summaries.T[i],
        monetary: summaries.monetary[i],
        first_spend: summaries.firstSpend[i],
        first_purchase: dayToIsoDate(summaries.firstDay[i]),
        first_purchase_day: summaries.firstDay[i],
      },
      features: features ? features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT) : [],
    };
  }
}

export { FEATURE_LAYOUT };
