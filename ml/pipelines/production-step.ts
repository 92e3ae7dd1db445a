// The production step of `ml train`: after the calibration/holdout evaluation has chosen the models
// and their settings, the served models are rebuilt as of `asOf` (default: the last date in the
// data) so that no purchase is left out: BTYD refitted on all history up to asOf, the GBDT trained
// on the most recent window of the holdout's length (features at asOf − H, labels in
// (asOf − H, asOf]) and applied to features at asOf, and every customer of the log stored.

import type { ProductionMetrics } from "../bundle/training-metrics.ts";
import { knownAt } from "../data/later-returns.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  purchaseDayRange,
  type TransactionLog,
} from "../data/transaction-log.ts";
import type { BtydParams } from "../features/btyd-features.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { buildFeatureMatrix } from "../features/feature-vector.ts";
import { summarize, unitDays } from "../features/summaries.ts";
import { parameterCovariances } from "../forecasting/parameter-uncertainty.ts";
import type { GbdtModel } from "../gbdt/gbdt-model.ts";
import { DEFAULT_BAG } from "../gbdt/train-gbdt-bag.ts";
import type { GbdtJob } from "../gbdt/training-job.ts";
import { type BgNbdParams, fitBgNbd } from "../models/bgnbd.ts";
import { fitGammaGamma, type GammaGammaParams } from "../models/gamma-gamma.ts";
import { fitParetoNbd, type ParetoNbdParams } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { createTaskPool, type TaskPool } from "../parallel/task-pool.ts";
import { fitWarnings } from "../training/fit-diagnostics.ts";
import {
  countRepeatBuyersWithSpend,
  MIN_GAMMA_GAMMA_BUYERS,
  shapeLimitNote,
} from "./fit-btyd-models.ts";
import { gammaGammaFitWarnings, HOMOGENEOUS_LIMIT_IS_SOUND } from "./fit-warnings.ts";
import { MIN_GBDT_CUSTOMERS, smallDataGbdtOptions } from "./gbdt-cross-validation.ts";
import { type GbdtTarget, runningFits } from "./gbdt-models.ts";
import { servedRecommendation } from "./recommend-model.ts";
import { createStepLog, type StepLog } from "./step-log.ts";
import type { GbdtModels, TrainedModels } from "./train-models.ts";

export interface ProductionOptions {
  /** YYYY-MM-DD; default: the last transaction date of the log. */
  asOf?: string;
  seed?: number;
  fast?: boolean;
  /** Where the three GBDT refits run (ml/parallel/task-pool.ts; default: this thread). */
  pool?: TaskPool;
  steps?: StepLog;
}

export interface ProductionModels {
  asOf: string;
  /** Every customer with a purchase on or before asOf, summarised at asOf. */
  summaries: CustomerSummaries;
  bgnbd: FitResult<BgNbdParams>;
  paretoNbd: FitResult<ParetoNbdParams>;
  gammaGamma: FitResult<GammaGammaParams> | null;
  /** Feature matrix at asOf (production BTYD forecasts over the horizon H as features). */
  features: Float32Array;
  gbdt: GbdtModels | null;
  /** Log-parameter covariances of the production fits (the intervals' parameter uncertainty). */
  covariances: ReturnType<typeof parameterCovariances>;
  metrics: ProductionMetrics;
}

/** The last transaction date of a log (YYYY-MM-DD). */
export function lastDateOf(log: TransactionLog): string {
  if (log.length === 0) throw new RangeError("data: the log has no transactions");
  return dayToIsoDate(purchaseDayRange(log).last);
}

/**
 * Fits the three BTYD models on summaries; Gamma-Gamma by the evaluation's rule (enough repeat
 * buyers with a positive spend: a log of $0 purchases has none).
 */
async function fitBtyd(summaries: CustomerSummaries, steps: StepLog, label: string) {
  const bgnbd = await steps.step(`${label}: fit BG/NBD`, () => fitBgNbd(summaries));
  const paretoNbd = await steps.step(`${label}: fit Pareto/NBD`, () => fitParetoNbd(summaries));
  const gammaGamma =
    countRepeatBuyersWithSpend(summaries) >= MIN_GAMMA_GAMMA_BUYERS
      ? await steps.step(`${label}: fit Gamma-Gamma`, () =>
          fitGammaGamma({ x: summaries.x, monetary: summaries.monetary }),
        )
      : null;
  return { bgnbd, paretoNbd, gammaGamma };
}

/**
 * The served models' fits, checked as the evaluation's are: a refit that stopped at a parameter
 * limit or short of convergence was said of the evaluation's fits only, and its forecasts served.
 * Warnings come first; a shape held at its limit by a converged fit is a note (shapeLimitNote).
 */
export function productionFitWarnings(
  fits: Awaited<ReturnType<typeof fitBtyd>>,
  asOf: string,
): string[] {
  const warnings = [
    ...fitWarnings("BG/NBD", fits.bgnbd, null, HOMOGENEOUS_LIMIT_IS_SOUND),
    ...fitWarnings("Pareto/NBD", fits.paretoNbd, null, HOMOGENEOUS_LIMIT_IS_SOUND),
    ...(fits.gammaGamma ? gammaGammaFitWarnings(fits.gammaGamma) : []),
  ];
  const held = [shapeLimitNote("BG/NBD", fits.bgnbd), shapeLimitNote("Pareto/NBD", fits.paretoNbd)];
  return [
    ...warnings.map((w) => `WARNING: production refit as of ${asOf}: ${w}`),
    ...held.flatMap((note) => (note ? [`production refit as of ${asOf}: ${note}`] : [])),
  ];
}

export async function trainProduction(
  read: TransactionLog,
  evaluation: TrainedModels,
  options: ProductionOptions = {},
): Promise<ProductionModels> {
  const steps = options.steps ?? createStepLog({ write: null });
  const data = evaluation.metrics.data;
  const timeUnit = data.time_unit;
  const asOf = options.asOf ?? lastDateOf(read);
  const asOfDay = isoDateToDay(asOf);
  if (Number.isNaN(asOfDay)) throw new RangeError(`--as-of: not a YYYY-MM-DD date: ${asOf}`);
  // A past --as-of sees only the returns made by then, the latest window's labels too.
  const log = knownAt(read, asOfDay);
  const H = evaluation.horizon;
  const windowDays = evaluation.gbdt && H > 0 ? Math.round(H * unitDays(timeUnit)) : 0;
  const late = asOfReach(purchaseDayRange(log).last, asOfDay, windowDays);
  const notes: string[] = late ? [late] : [];

  const summaries = await steps.step("production: summaries at as-of", () =>
    summarize(log, { calibrationEnd: asOf, timeUnit }),
  );
  if (summaries.n === 0) throw new RangeError(`--as-of ${asOf}: no customer purchased by then`);
  const fits = await fitBtyd(summaries, steps, "production");
  notes.push(...productionFitWarnings(fits, asOf));
  const covariances = await steps.step("production: parameter covariances", () =>
    parameterCovariances(
      summaries,
      {
        bgnbd: fits.bgnbd.params,
        paretoNbd: fits.paretoNbd.params,
        gammaGamma: fits.gammaGamma?.params ?? null,
      },
      { bgnbd: fits.bgnbd.stopped, paretoNbd: fits.paretoNbd.stopped },
    ),
  );
  const params: BtydParams = { bgnbd: fits.bgnbd.params, paretoNbd: fits.paretoNbd.params };
  const features = await steps.step("production: customer features at as-of", () =>
    buildFeatureMatrix(log, summaries, { cutoffDay: asOfDay, timeUnit, horizon: H, btyd: params }),
  );

  const { gbdt, gbdtMetrics } = await productionGbdt(log, evaluation, asOfDay, notes, {
    ...options,
    steps,
  });
  const fit = (f: FitResult<object> | null) =>
    f ? { params: { ...f.params }, log_likelihood: f.logLikelihood, converged: f.converged } : null;
  const metrics: ProductionMetrics = {
    as_of: asOf,
    customers: summaries.n,
    transactions: countUpTo(log, asOfDay),
    time_unit: timeUnit,
    horizon: gbdt ? H : 0,
    fits: {
      bgnbd: fit(fits.bgnbd) as ProductionMetrics["fits"]["bgnbd"],
      pareto_nbd: fit(fits.paretoNbd) as ProductionMetrics["fits"]["pareto_nbd"],
      gamma_gamma: fit(fits.gammaGamma) as ProductionMetrics["fits"]["gamma_gamma"],
      gbdt: gbdtMetrics,
    },
    notes,
  };
  return { asOf, summaries, ...fits, features, gbdt, covariances, metrics };
}

/**
 * An --as-of past the log's last purchase serves every customer as if none bought since (an
 * export that stops early looks like a shop whose customers all lapsed): a WARNING from a week
 * on, and an error when the production GBDT's window (`windowDays` up to as-of) holds no purchase,
 * since it would learn that nobody buys.
 */
export function asOfReach(lastDay: number, asOfDay: number, windowDays: number): string | null {
  const days = asOfDay - lastDay;
  if (!(days >= 7)) return null;
  const gap = days.toLocaleString("en-US");
  const [asOf, last] = [dayToIsoDate(asOfDay), dayToIsoDate(lastDay)];
  if (windowDays > 0 && lastDay <= asOfDay - windowDays) {
    throw new RangeError(
      `--as-of ${asOf}: the log's last purchase is on ${last}, ${gap} days before, so the ` +
        `production GBDT's window (${dayToIsoDate(asOfDay - windowDays + 1)}..${asOf}) holds no ` +
        `purchase and every customer would be served as if none bought since; pass an --as-of on ` +
        `or before ${last} (leave it out for the log's last date)`,
    );
  }
  return (
    `WARNING: --as-of ${asOf} is ${gap} days after the log's last purchase (${last}): every ` +
    `customer is served as if none bought since; if the export stops there, pass --as-of ${last} ` +
    "or leave it out"
  );
}

/**
 * The production GBDT: refitted on the latest window (features at as-of minus the horizon, labels
 * up to as-of), or none (with a note) when the evaluation trained none or the window is too small.
 */
async function productionGbdt(
  log: TransactionLog,
  evaluation: TrainedModels,
  asOfDay: number,
  notes: string[],
  options: ProductionOptions & { steps: StepLog },
): Promise<{ gbdt: GbdtModels | null; gbdtMetrics: ProductionMetrics["fits"]["gbdt"] }> {
  const { steps } = options;
  const data = evaluation.metrics.data;
  const timeUnit = data.time_unit;
  const asOf = dayToIsoDate(asOfDay);
  const H = evaluation.horizon;
  if (!evaluation.gbdt) {
    notes.push("the evaluation trained no GBDT, so the production bundle has none");
    return { gbdt: null, gbdtMetrics: null };
  }
  if (!(H > 0)) return { gbdt: null, gbdtMetrics: null };
  const windowDays = Math.round(H * unitDays(timeUnit));
  const featuresAt = dayToIsoDate(asOfDay - windowDays);
  const window = summarize(log, { calibrationEnd: featuresAt, holdoutEnd: asOf, timeUnit });
  if (window.n < MIN_GBDT_CUSTOMERS) {
    notes.push(`only ${window.n} customers by ${featuresAt}: the production bundle has no GBDT`);
    return { gbdt: null, gbdtMetrics: null };
  }
  // BTYD features at the window start come from a fit on the data up to it (as in evaluation).
  const windowParams: BtydParams =
    featuresAt === data.calibration_end
      ? { bgnbd: evaluation.bgnbd.params, paretoNbd: evaluation.paretoNbd.params }
      : await (async () => {
          const f = await fitBtyd(window, steps, "production window");
          return { bgnbd: f.bgnbd.params, paretoNbd: f.paretoNbd.params };
        })();
  const X = await steps.step("production: window features", () =>
    buildFeatureMatrix(log, window, {
      cutoffDay: asOfDay - windowDays,
      timeUnit,
      horizon: H,
      btyd: windowParams,
    }),
  );
  const gbdt = await steps.step("production: GBDT on the latest window", () =>
    trainWindowGbdt(X, window, evaluation.gbdt as GbdtModels, options, steps),
  );
  const gbdtMetrics = {
    features_at: featuresAt,
    labels_from: dayToIsoDate(asOfDay - windowDays + 1),
    labels_to: asOf,
    customers: window.n,
    horizon: H,
    trees: {
      count: gbdt.count.trees.length,
      purchase: gbdt.purchase.trees.length,
      spend: gbdt.spend.trees.length,
    },
  };
  return { gbdt, gbdtMetrics };
}

function countUpTo(log: TransactionLog, day: number): number {
  let n = 0;
  for (const d of log.day.subarray(0, log.length)) if (d <= day) n++;
  return n;
}

/**
 * The three GBDT targets on the window, with the rounds the evaluation's K-fold chose; a bagged
 * count model is refitted as a bag of as many members, member b with member b's rounds. The three
 * fits run side by side on a training pool.
 */
async function trainWindowGbdt(
  X: Float32Array,
  window: CustomerSummaries,
  chosen: GbdtModels,
  options: ProductionOptions,
  steps: StepLog,
): Promise<GbdtModels> {
  const seed = options.seed ?? 42;
  const targets = {
    count: window.holdoutPurchases,
    purchase: Float64Array.from(window.holdoutPurchases, (v) => (v > 0 ? 1 : 0)),
    spend: window.holdoutSpend,
  };
  const pool = options.pool ?? createTaskPool(1);
  const job = (loss: "poisson" | "logistic" | "squared", model: GbdtModel): GbdtJob => {
    const settings = smallDataGbdtOptions(loss, window.n, seed, options.fast);
    const members = model.members;
    if (members) {
      return {
        rows: null,
        options: settings,
        bag: { ...DEFAULT_BAG, members: members.length },
        rounds: members,
      };
    }
    const rounds = Math.max(1, model.trees.length);
    return {
      rows: null,
      options: { ...settings, nEstimators: rounds, earlyStoppingRounds: 0, validationFraction: 0 },
    };
  };
  // On a million customers these run for a minute or more: each refit's trees show it is alive.
  const counter = steps.counter("production GBDT refits", 3);
  const unwatch = pool.watchTrees((running) => counter.note(runningFits(running)));
  const fit = (target: GbdtTarget, loss: "poisson" | "logistic" | "squared") =>
    pool.run("gbdt", { X, y: targets[target], job: job(loss, chosen[target]) }).then((model) => {
      counter.tick(target);
      return model;
    });
  try {
    const [count, purchase, spend] = await Promise.all([
      fit("count", "poisson"),
      fit("purchase", "logistic"),
      fit("spend", "squared"),
    ]);
    return { count, purchase, spend };
  } finally {
    unwatch();
    counter.stop();
  }
}

/**
 * The models the production bundle holds, in the shape buildBundle and registerBundle take: the
 * evaluation's recommendation and scores, the production fits, and metrics.json with both steps.
 */
export function servedModels(evaluation: TrainedModels, production: ProductionModels | null) {
  // Without a production GBDT there is no GBDT or blend to serve: the recommendation is one that is.
  const comparison =
    production && !production.gbdt
      ? servedRecommendation(evaluation.metrics)
      : evaluation.metrics.comparison;
  const recommended = comparison.recommended;
  const metrics = {
    ...evaluation.metrics,
    comparison,
    evaluation: evaluationSection({ ...evaluation, recommended }),
    production: production ? production.metrics : null,
  };
  if (!production) return { ...evaluation, metrics };
  return {
    ...evaluation,
    recommended,
    report: servedReport(evaluation, comparison),
    bgnbd: production.bgnbd,
    paretoNbd: production.paretoNbd,
    gammaGamma: production.gammaGamma,
    features: production.features,
    gbdt: production.gbdt,
    covariances: production.covariances,
    // The blend's weights were chosen out of fold in the evaluation; without a GBDT they don't apply.
    stacking: production.gbdt ? evaluation.stacking : null,
    horizon: production.gbdt ? evaluation.horizon : 0,
    metrics,
  } satisfies TrainedModels;
}

/** The report's lines with the served recommendation, when the production step moved it. */
function servedReport(
  evaluation: TrainedModels,
  comparison: TrainedModels["metrics"]["comparison"],
): TrainedModels["report"] {
  const report = evaluation.report;
  if (comparison.recommended === evaluation.recommended) return report;
  const line = "recommended model (best out-of-fold Poisson deviance): ";
  const said = new Set(report.notes);
  return {
    ...report,
    notes: [
      ...report.notes.map((n) =>
        n.startsWith(line) ? `recommended model (best served): ${comparison.recommended}` : n,
      ),
      ...comparison.notes.filter((n) => !said.has(n)),
    ],
  };
}

/** metrics.json `evaluation`: the split and the holdout scores that chose `recommended`. */
export function evaluationSection(trained: TrainedModels) {
  const d = trained.metrics.data;
  const m = trained.metrics.models;
  const deviance = {
    bgnbd: m.bgnbd.holdout?.poisson_deviance ?? null,
    pareto_nbd: m.pareto_nbd.holdout?.poisson_deviance ?? null,
    gbdt: m.gbdt_count?.holdout.poisson_deviance ?? null,
    blend: m.blend?.holdout.poisson_deviance ?? null,
  };
  return {
    split: {
      calibration_end: d.calibration_end,
      holdout_end: d.holdout_end,
      holdout_length: d.holdout_length,
      time_unit: d.time_unit,
      customers: d.customers,
    },
    recommended: trained.recommended,
    poisson_deviance: deviance,
    recommended_poisson_deviance: deviance[trained.recommended],
  };
}
