// The in-memory heart of `ml train`: fits BG/NBD, Pareto/NBD and Gamma-Gamma on the calibration
// summaries, scores them on the holdout, builds customer features, cross-validates the three GBDT
// models over customers (K folds, out-of-fold scores) and refits them on everyone. No file I/O, so
// the CLI and the demo model share it. Each step is its own module; this one runs them in order.

import type { TrainingMetrics } from "../bundle/training-metrics.ts";
import type { LogFormat } from "../data/input/log-input.ts";
import { dayToIsoDate, isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import type { BtydParams } from "../features/btyd-features.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { buildFeatureMatrix, FEATURE_COUNT, FEATURE_LAYOUT } from "../features/feature-vector.ts";
import {
  type ParameterCovariances,
  parameterCovariances,
} from "../forecasting/parameter-uncertainty.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { GammaGammaParams } from "../models/gamma-gamma.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import {
  createTaskPool,
  defaultTrainingWorkers,
  poolForFits,
  type TaskPool,
} from "../parallel/task-pool.ts";
import type { ReportInput } from "../report/report-html.ts";
import { trainingReport } from "../report/training-report.ts";
import { type BtydHoldout, btydHoldout } from "./btyd-holdout.ts";
import { type BtydFits, fitBtydModels } from "./fit-btyd-models.ts";
import { type GbdtModels, type GbdtTraining, trainGbdtModels } from "./gbdt-models.ts";
import { foldOfCustomer, type HoldoutPredictions } from "./holdout-predictions.ts";
import { type RecommendedModel, recommendModel } from "./recommend-model.ts";
import {
  type BtydCalibrationInput,
  type CalibrationPart,
  intervalCalibrationRows,
  type StackingResult,
  stackAndCalibrate,
  stackingTables,
  startBtydCalibration,
} from "./stacking.ts";
import type { StepLog } from "./step-log.ts";
import { createStepLog } from "./step-log.ts";
import { trainingMetrics } from "./training-metrics-json.ts";

export { fitWarning } from "./fit-btyd-models.ts";
export type { GbdtModels } from "./gbdt-models.ts";

/** A transaction log's format, or `summary` (customer summaries, not transactions). */
export type DataFormat = LogFormat | "summary";
/** Where the training data came from: a file format, or a simulation (the demo model). */
/** Where the data came from: a format, a simulation, or a --query over a folder's files. */
export type DataOrigin = DataFormat | "simulated" | "query";

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
  /** false: one count GBDT instead of a bag (gbdt-models.ts countBag), to measure the bag. */
  bagCount?: boolean;
  /** false: the blend without its rate-if-alive member (stacking.ts), to measure the member. */
  rateIfAlive?: boolean;
  /** Threads for the GBDT fits and the calibration (default: the machine's cores); same models. */
  workers?: number;
  /** A pool to run on instead (its owner closes it), e.g. one shared with the production step. */
  pool?: TaskPool;
  steps?: StepLog;
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
  recommended: RecommendedModel;
  /** Blend weights, dispersion and calibration (null without a holdout and GBDT). */
  stacking: StackingResult | null;
  /** Log-parameter covariances for the intervals' parameter uncertainty. */
  covariances: ParameterCovariances;
  /** The per-customer holdout forecasts metrics.json's holdout scores were computed from. */
  holdoutPredictions: HoldoutPredictions | null;
  metrics: TrainingMetrics;
  report: ReportInput;
}

/** What the run knows once the fits are done: shared by the later steps. */
interface RunContext {
  input: TrainModelsInput;
  steps: StepLog;
  folds: number;
  seed: number;
  fits: BtydFits;
  btydParams: BtydParams;
  /** Notes for metrics.json and the report, appended to by each step in order. */
  notes: string[];
  /** Where the calibration groups run. */
  pool: TaskPool;
  /** Where the GBDT fits run: the pool on large logs, else this thread (poolForFits). */
  fitPool: TaskPool;
}

/**
 * A holdout to score on: its end given, with the log to count it from or summaries that count it
 * (holdout_purchases, lifetimes' frequency_holdout; summary-reader refuses --holdout-end without).
 */
function hasHoldout({ summaries }: TrainModelsInput): boolean {
  return summaries.options.holdoutEnd !== undefined && summaries.holdoutLength > 0;
}

/** Step 2: the BTYD holdout forecasts and scores; null (with a note) without a holdout. */
async function holdoutStep(run: RunContext): Promise<BtydHoldout | null> {
  const { summaries, log } = run.input;
  if (hasHoldout(run.input)) {
    return run.steps.step("holdout predictions (BTYD)", () =>
      btydHoldout(summaries, run.btydParams, summaries.holdoutLength),
    );
  }
  run.notes.push(
    log === null
      ? "trained from customer summaries without a holdout: no holdout evaluation and no GBDT"
      : "no holdout period: no holdout evaluation and no GBDT",
  );
  return null;
}

/** Step 3: every customer's feature vector at the calibration end (null without a log). */
async function featuresStep(run: RunContext): Promise<Float32Array | null> {
  const { summaries, log } = run.input;
  if (log === null) return null;
  const opts = summaries.options;
  return run.steps.step("customer features", () =>
    buildFeatureMatrix(log, summaries, {
      cutoffDay: isoDateToDay(opts.calibrationEnd),
      timeUnit: opts.timeUnit,
      horizon: hasHoldout(run.input) ? summaries.holdoutLength : 0,
      btyd: run.btydParams,
    }),
  );
}

/** Step 3b: K-fold GBDT when there is a holdout and at least 5 customers per fold. */
async function gbdtStep(
  run: RunContext,
  features: Float32Array | null,
  options: Pick<TrainModelsOptions, "fast" | "bagCount">,
): Promise<GbdtTraining | null> {
  const { fast, bagCount } = options;
  const { summaries } = run.input;
  const k = run.folds;
  if (!hasHoldout(run.input)) return null;
  if (features === null) {
    run.notes.push("trained from customer summaries: no transactions, so no GBDT");
    return null;
  }
  if (summaries.n >= 5 * k) {
    return trainGbdtModels(
      features,
      summaries,
      {
        folds: k,
        seed: run.seed,
        ...(fast === undefined ? {} : { fast }),
        ...(bagCount === undefined ? {} : { bagCount }),
        pool: run.fitPool,
      },
      run.steps,
    );
  }
  run.notes.push(`too few customers (${summaries.n}) for ${k}-fold GBDT: no GBDT`);
  return null;
}

/** Log-parameter covariances for the intervals; models left without intervals get a note. */
async function covariancesStep(run: RunContext): Promise<ParameterCovariances> {
  const { bgnbd, paretoNbd, gammaGamma } = run.fits;
  const covariances = await run.steps.step("parameter covariances", () =>
    parameterCovariances(
      run.input.summaries,
      {
        bgnbd: bgnbd.params,
        paretoNbd: paretoNbd.params,
        gammaGamma: gammaGamma?.params ?? null,
      },
      { bgnbd: bgnbd.stopped, paretoNbd: paretoNbd.stopped },
    ),
  );
  for (const [model, why] of Object.entries(covariances.omitted ?? {})) {
    run.notes.push(`WARNING: ${model} intervals omitted: ${why}`);
  }
  return covariances;
}

/** The blend, the count models' dispersion, holdout calibration and per-segment errors. */
async function stackingStep(
  run: RunContext,
  holdout: BtydHoldout,
  gbdt: GbdtTraining,
  covariances: ParameterCovariances,
  btydCalibration: Promise<CalibrationPart[]>,
  rateIfAlive: boolean | undefined,
): Promise<StackingResult> {
  const { summaries } = run.input;
  const stacking = await run.steps.step("blend, dispersion and calibration", () =>
    stackAndCalibrate({
      ...btydCalibrationInput(run, covariances),
      forecasts: {
        bgnbd: holdout.bg.expected,
        pareto_nbd: holdout.pnbd.expected,
        gbdt: gbdt.oof.count,
      },
      gbdtPurchase: gbdt.oof.purchase,
      btydPurchase: { bgnbd: holdout.bg.pAny, pareto_nbd: holdout.pnbd.pAny },
      folds: kFoldSplit(summaries.n, run.folds, run.seed),
      btydCalibration,
      ...(rateIfAlive === undefined ? {} : { rateIfAlive }),
    }),
  );
  for (const w of stacking.intervalWarnings) {
    run.steps.warn(`intervals: ${w}`);
    run.notes.push(`WARNING: intervals: ${w}`);
  }
  return stacking;
}

function btydCalibrationInput(
  run: RunContext,
  covariances: ParameterCovariances,
): BtydCalibrationInput {
  const { bgnbd, paretoNbd, gammaGamma } = run.fits;
  return {
    pool: run.pool,
    summaries: run.input.summaries,
    params: {
      bgnbd: bgnbd.params,
      paretoNbd: paretoNbd.params,
      gammaGamma: gammaGamma?.params ?? null,
    },
    covariances,
    seed: run.seed,
  };
}

/**
 * The BTYD models' holdout calibration, started on the pool to run while the GBDT trains (the
 * step's time is only the start then; in this thread it is the whole computation).
 */
async function btydCalibrationStep(
  run: RunContext,
  covariances: ParameterCovariances,
): Promise<{ parts: Promise<CalibrationPart[]> }> {
  return run.steps.step("BTYD calibration (started)", () => {
    const parts = startBtydCalibration(btydCalibrationInput(run, covariances));
    // Awaited by the stacking step; without a GBDT there is none, and nothing to report.
    parts.catch(() => {});
    return { parts };
  });
}

/** The customers and holdout purchase days the holdout scores rest on. */
function evaluatedOn(summaries: CustomerSummaries) {
  let holdoutPurchases = 0;
  for (let i = 0; i < summaries.n; i++) holdoutPurchases += summaries.holdoutPurchases[i]!;
  return { customers: summaries.n, holdoutPurchases };
}

/** The arrays the holdout scores were computed from, for holdout-predictions.csv; null without a holdout. */
function holdoutPredictionsOf(
  input: TrainModelsInput,
  holdout: BtydHoldout | null,
  gbdt: GbdtTraining | null,
  stacking: StackingResult | null,
): HoldoutPredictions | null {
  if (!holdout) return null;
  const { summaries } = input;
  return {
    summaries,
    holdoutSpend: input.log ? summaries.holdoutSpend : null,
    bgnbd: holdout.bg,
    paretoNbd: holdout.pnbd,
    gbdt: gbdt ? { ...gbdt.oof, fold: foldOfCustomer(summaries.n, gbdt.folds) } : null,
    blend: stacking?.blendOof ?? null,
    blendPurchase: stacking?.blendOofPurchase ?? null,
  };
}

/** Steps 5 and 6: metrics.json's content and the report's. */
async function metricsAndReport(
  run: RunContext,
  holdout: BtydHoldout | null,
  gbdt: GbdtTraining | null,
  stacking: StackingResult | null,
): Promise<{ metrics: TrainingMetrics; report: ReportInput }> {
  const { input, fits, notes } = run;
  const comparison = recommendModel({
    bgnbd: fits.bgnbd,
    paretoNbd: fits.paretoNbd,
    diagnostics: fits.diagnostics,
    holdout: {
      bgnbd: holdout?.bgHoldout ?? null,
      pareto_nbd: holdout?.pnbdHoldout ?? null,
      gbdt: gbdt?.holdout ?? null,
      blend: stacking?.blendHoldout ?? null,
    },
    ...(holdout ? { evaluated: evaluatedOn(input.summaries) } : {}),
  });
  const metrics = trainingMetrics({
    summaries: input.summaries,
    transactions: input.log ? input.log.length : null,
    source: input.source,
    format: input.format,
    fits,
    holdout: { bgnbd: holdout?.bgHoldout ?? null, pareto_nbd: holdout?.pnbdHoldout ?? null },
    gbdt: gbdt?.metrics ?? { gbdt_count: null, gbdt_purchase: null, gbdt_spend: null },
    stacking,
    comparison,
    notes,
    seconds: run.steps.seconds,
  });
  const report = await run.steps.step("report data", () =>
    trainingReport({
      ...input,
      bgnbd: fits.bgnbd,
      paretoNbd: fits.paretoNbd,
      gammaGamma: fits.gammaGamma,
      metrics,
      bg: holdout?.bg ?? null,
      pnbd: holdout?.pnbd ?? null,
      oof: gbdt?.oof ?? null,
      stacking: stacking
        ? {
            tables: stackingTables(stacking),
            blendOof: stacking.blendOof,
            intervalCalibration: intervalCalibrationRows(stacking),
          }
        : null,
      notes,
    }),
  );
  return { metrics, report };
}

export async function trainModels(
  input: TrainModelsInput,
  options: TrainModelsOptions = {},
): Promise<TrainedModels> {
  const { summaries } = input;
  if (summaries.n === 0)
    throw new RangeError("data: no customer purchased on or before the calibration end");
  const steps = options.steps ?? createStepLog({ write: null });
  if (options.pool) return trainWithPool(input, options, steps, options.pool);
  // Started first: the workers load while the BTYD models are fitted.
  const pool = createTaskPool(options.workers ?? defaultTrainingWorkers());
  try {
    return await trainWithPool(input, options, steps, pool);
  } finally {
    pool.close();
  }
}

async function trainWithPool(
  input: TrainModelsInput,
  options: TrainModelsOptions,
  steps: StepLog,
  pool: TaskPool,
): Promise<TrainedModels> {
  const { summaries } = input;
  // 1. BTYD fits on (x, t_x, T); Gamma-Gamma on repeat buyers' mean repeat spend.
  const fits = await fitBtydModels(summaries, steps);
  const run: RunContext = {
    pool,
    fitPool: poolForFits(pool, summaries.n),
    input,
    steps,
    folds: options.folds ?? 5,
    seed: options.seed ?? 42,
    fits,
    btydParams: { bgnbd: fits.bgnbd.params, paretoNbd: fits.paretoNbd.params },
    notes: [...fits.notes],
  };
  // 2. Holdout predictions of the BTYD models, per customer; their parameter uncertainty, and
  //    their holdout calibration started on the pool (it needs nothing from the GBDT).
  const holdout = await holdoutStep(run);
  const covariances = await covariancesStep(run);
  const btydCalibration = holdout ? (await btydCalibrationStep(run, covariances)).parts : null;
  // 3. Features and K-fold GBDT.
  const features = await featuresStep(run);
  const gbdt = await gbdtStep(run, features, options);
  // 4. With out-of-fold GBDT forecasts, the blend, the count models' dispersion, holdout
  //    calibration and per-segment errors (ml/pipelines/stacking.ts).
  const stacking =
    holdout && gbdt && btydCalibration
      ? await stackingStep(run, holdout, gbdt, covariances, btydCalibration, options.rateIfAlive)
      : null;
  // 5. The recommended model, metrics.json and what the report draws.
  const { metrics, report } = await metricsAndReport(run, holdout, gbdt, stacking);
  return {
    bgnbd: fits.bgnbd,
    paretoNbd: fits.paretoNbd,
    gammaGamma: fits.gammaGamma,
    features,
    gbdt: gbdt?.models ?? null,
    horizon: gbdt ? summaries.holdoutLength : 0,
    recommended: metrics.comparison.recommended,
    stacking,
    covariances,
    holdoutPredictions: holdoutPredictionsOf(input, holdout, gbdt, stacking),
    metrics,
    report,
  };
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
  for (const [i, customerId] of summaries.ids.slice(0, summaries.n).entries()) {
    // i < n: every summary array holds a value there (the ?? never applies).
    const firstDay = summaries.firstDay[i] ?? Number.NaN;
    yield {
      customerId,
      summary: {
        x: summaries.x[i],
        t_x: summaries.tx[i],
        T: summaries.T[i],
        monetary: summaries.monetary[i],
        first_spend: summaries.firstSpend[i],
        first_purchase: dayToIsoDate(firstDay),
        first_purchase_day: firstDay,
      },
      features: features ? features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT) : [],
    };
  }
}

export { FEATURE_LAYOUT };
