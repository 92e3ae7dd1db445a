// The `ml train` pipeline: data → summaries → BTYD fits → holdout evaluation → features → K-fold
// GBDT → final GBDT (the evaluation step), then the production step (refit as of --as-of) → ONNX
// → metrics.json → report.html → bundle in DIR → optional registration, promotion (or the
// promotion gate) and MLflow tracking.

import { resolve } from "node:path";
import { errorChain } from "@pp/shared/errors/error-chain.ts";
import { RegistryStateError } from "@pp/shared/registry/registry-errors.ts";
import type { ModelBundle } from "../bundle/model-bundle.ts";
import type { EvaluationSection, TrainingMetrics } from "../bundle/training-metrics.ts";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import { dataQualityLines } from "../data/input/data-quality.ts";
import type { LogColumns } from "../data/input/log-input.ts";
import type { TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import {
  createTaskPool,
  defaultTrainingWorkers,
  poolForFits,
  type TaskPool,
} from "../parallel/task-pool.ts";
import { renderReportHtml } from "../report/report-html.ts";
import { attachDataQuality } from "./attach-data-quality.ts";
import { buildBundle } from "./build-bundle.ts";
import {
  HOLDOUT_PREDICTIONS_FILE,
  type HoldoutPredictions,
  holdoutPredictionsCsv,
} from "./holdout-predictions.ts";
import { type LoadedData, loadTrainingData } from "./load-training-data.ts";
import { openRegistryFromEnv } from "./open-registry.ts";
import { type ProductionModels, servedModels, trainProduction } from "./production-step.ts";
import { type GateDecision, promotionDecision } from "./promotion-gate.ts";
import type { LogReadOptions } from "./read-log.ts";
import { registerBundle } from "./register-bundle.ts";
import { checkRegistryBeforeTraining } from "./registry-preflight.ts";
import { createStepLog, type StepLog } from "./step-log.ts";
import { type TrackRunResult, trackTrainingRun } from "./track-run.ts";
import {
  type DataFormat,
  type DataOrigin,
  type TrainedModels,
  trainModels,
} from "./train-models.ts";
import {
  beginTrainOutputs,
  checkTrainOutputsFree,
  finishTrainOutputs,
  type TrainOutputsLock,
  type WrittenOutputs,
  writeTrainOutput,
} from "./train-outputs.ts";

export interface TrainPipelineOptions {
  data: string;
  format: DataFormat;
  /** Required except for `format: "summary"` (summaries carry their own window). */
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  /** false: `timeUnit` is the CLI's default, not the user's (see LoadOptions.timeUnitGiven). */
  timeUnitGiven?: boolean;
  out: string;
  columns?: Partial<LogColumns>;
  onBadRow?: BadRowPolicy;
  /** csv / parquet / postgres: source, extra columns, date format, time zone, returns. */
  log?: LogReadOptions;
  folds?: number;
  seed?: number;
  fast?: boolean;
  /** false: one count GBDT instead of a bag (trainModels' bagCount: faster, a little less accurate). */
  bagCount?: boolean;
  /** Threads for the GBDT fits and the calibration (default: ML_WORKERS in env, else the cores). */
  workers?: number;
  /** Register the bundle as a new version of this model. */
  register?: string;
  promote?: boolean;
  /** Promote only if the new version is not worse than production on the same split (gate). */
  promoteIfBetter?: boolean;
  /** The production step's cutoff (YYYY-MM-DD); default: the last date in the data. */
  asOf?: string;
  /** Skip the production step: the bundle holds the evaluation (calibration) fits. */
  evaluateOnly?: boolean;
  env?: Record<string, string | undefined>;
  steps?: StepLog;
  /** Where user-facing lines go (default console.log). */
  print?: (line: string) => void;
}

export interface TrainPipelineResult {
  outDir: string;
  metrics: TrainingMetrics;
  /** The evaluation step (calibration fits, holdout scores). */
  trained: TrainedModels;
  /** The production step, or null (--evaluate-only, or trained from summaries). */
  production: ProductionModels | null;
  /** What the bundle holds: the production fits, or the evaluation's with --evaluate-only. */
  served: TrainedModels;
  bundle: ModelBundle;
  registered: { name: string; version: number; stage: string } | null;
  /** The promotion gate's decision with --promote-if-better. */
  gate: GateDecision | null;
  /** MLflow outcome when MLFLOW_TRACKING_URI is set (a warning never fails training). */
  tracking: TrackRunResult | null;
}

export async function runTrainPipeline(
  options: TrainPipelineOptions,
): Promise<TrainPipelineResult> {
  if ((options.promote || options.promoteIfBetter) && !options.register) {
    throw new RangeError("--promote: needs --register NAME");
  }
  if (options.asOf && options.evaluateOnly) {
    throw new RangeError("--as-of: the production step's date; it has no use with --evaluate-only");
  }
  // One pool for the evaluation and the production step, started before the data is read so
  // that its workers load meanwhile.
  const env = options.env ?? process.env;
  const pool = createTaskPool(options.workers ?? defaultTrainingWorkers(env));
  try {
    return await trainPipelineOn(pool, options);
  } finally {
    pool.close();
  }
}

/** The read's warnings and skipped rows as notes of the metrics, and its data-quality account. */
function noteTheRead(
  trained: Awaited<ReturnType<typeof trainModels>>,
  loaded: Awaited<ReturnType<typeof readTrainingData>>,
): void {
  trained.metrics.notes.push(...loaded.warnings);
  if (loaded.report.badRows > 0) {
    const count = (n: number) => n.toLocaleString("en-US");
    const reasons = Object.entries(loaded.quality.skipped).map(([why, n]) => `${why} ${count(n)}`);
    trained.metrics.notes.push(
      `${count(loaded.report.badRows)} rows skipped (${reasons.join(", ")})`,
    );
  }
  attachDataQuality(trained, loaded.quality);
}

/** Every file atomically, then the completion marker (train-outputs.ts) once all are written. */
async function writeAllOutputs(
  served: Parameters<typeof writeOutputs>[0],
  trained: Awaited<ReturnType<typeof trainModels>>,
  options: TrainPipelineOptions,
  log: { steps: StepLog; print: (line: string) => void },
) {
  const written: WrittenOutputs = new Map();
  const { outDir, bundle, trainedAt, lock } = await writeOutputs(served, options, written, {
    ...log,
    holdout: trained.holdoutPredictions !== null,
  });
  try {
    await writeHoldoutPredictions(trained.holdoutPredictions, outDir, written, log);
    await finishTrainOutputs(outDir, written, trainedAt, lock);
  } finally {
    await lock.release(); // after a failed write (finishTrainOutputs released it already)
  }
  return { outDir, bundle, trainedAt };
}

async function trainPipelineOn(
  pool: TaskPool,
  options: TrainPipelineOptions,
): Promise<TrainPipelineResult> {
  const steps = options.steps ?? createStepLog();
  const print = options.print ?? console.log;
  const env = options.env ?? process.env;
  if (options.register) {
    await steps.step("registry reachable", () => checkRegistryBeforeTraining(env));
  }
  await checkTrainOutputsFree(resolve(options.out)); // another run writing --out: stop now

  const loaded = await readTrainingData(options, steps, print);
  const trained = await trainModels(
    {
      log: loaded.log,
      summaries: loaded.summaries,
      source: options.data,
      format: originOf(options),
    },
    {
      steps,
      ...(options.folds !== undefined ? { folds: options.folds } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.fast !== undefined ? { fast: options.fast } : {}),
      ...(options.bagCount === undefined ? {} : { bagCount: options.bagCount }),
      pool,
    },
  );
  noteTheRead(trained, loaded);
  // The production refits are GBDT fits too: on the pool only for a large log (poolForFits).
  const fitPool = poolForFits(pool, loaded.summaries.n);
  const production = await productionStep(
    loaded.log,
    trained,
    { ...options, pool: fitPool },
    steps,
    print,
  );
  const served = servedModels(trained, production);
  const { outDir, bundle, trainedAt } = await writeAllOutputs(served, trained, options, {
    steps,
    print,
  });
  const { registered, gate } = options.register
    ? await registerStep(options.register, {
        options,
        env,
        bundle,
        served,
        summaries: production?.summaries ?? loaded.summaries,
        trainedAt,
        steps,
        print,
      })
    : { registered: null, gate: null };
  let tracking: TrainPipelineResult["tracking"] = null;
  if (env.MLFLOW_TRACKING_URI?.trim()) {
    tracking = await steps.step("MLflow", () =>
      trackTrainingRun(env, served, bundle, steps, options.register),
    );
  }
  return {
    outDir,
    metrics: served.metrics,
    trained,
    production,
    served,
    bundle,
    registered,
    gate,
    tracking,
  };
}

/** What metrics.json calls the data: a --query over files is read as CSVs but is not one file. */
function originOf(options: TrainPipelineOptions): DataOrigin {
  return options.log?.source?.kind === "query" ? "query" : options.format;
}

/** Reads the data and summarises it at the calibration end; prints what reading did. */
async function readTrainingData(
  options: TrainPipelineOptions,
  steps: StepLog,
  print: (line: string) => void,
): Promise<LoadedData> {
  const loaded = await steps.step("read data", () =>
    loadTrainingData({
      path: options.data,
      format: options.format,
      ...(options.calibrationEnd ? { calibrationEnd: options.calibrationEnd } : {}),
      ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
      timeUnit: options.timeUnit,
      ...(options.timeUnitGiven === false ? { timeUnitGiven: false } : {}),
      ...(options.columns ? { columns: options.columns } : {}),
      ...(options.onBadRow ? { onBadRow: options.onBadRow } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
  );
  for (const line of dataQualityLines(loaded.quality)) print(line);
  const { report: read } = loaded;
  steps.info(
    `read ${read.rowsKept.toLocaleString("en-US")} of ${read.rowsRead.toLocaleString("en-US")} rows` +
      `; ${loaded.summaries.n.toLocaleString("en-US")} customers` +
      (loaded.summaries.excludedAfterCalibration > 0
        ? ` (${loaded.summaries.excludedAfterCalibration.toLocaleString("en-US")} first bought after the calibration end: not in the evaluation)`
        : ""),
  );
  return loaded;
}

/**
 * Renders the report (with the served recommendation), builds the bundle (ONNX included) and
 * writes it to --out (`holdout`: holdout-predictions.csv follows, so an earlier one is kept until
 * replaced).
 */
async function writeOutputs(
  served: TrainedModels,
  options: TrainPipelineOptions,
  written: WrittenOutputs,
  how: { steps: StepLog; print: (line: string) => void; holdout: boolean },
): Promise<{ outDir: string; bundle: ModelBundle; trainedAt: Date; lock: TrainOutputsLock }> {
  const { steps, print } = how;
  const trainedAt = new Date();
  const reportHtml = await steps.step("render report", () => renderReportHtml(served.report));
  const bundle = await steps.step("export ONNX + bundle", () =>
    buildBundle(served, {
      ...(options.register ? { name: options.register } : {}),
      trainedAt,
      reportHtml,
    }),
  );
  const outDir = resolve(options.out);
  const names = [...bundle.keys()];
  if (how.holdout) names.push(HOLDOUT_PREDICTIONS_FILE);
  const lock = await steps.step("write bundle", async () => {
    const held = await beginTrainOutputs(outDir, names);
    try {
      for (const [name, bytes] of bundle) await writeTrainOutput(outDir, name, bytes, written);
    } catch (error) {
      await held.release();
      throw error;
    }
    return held;
  });
  print(`wrote ${[...bundle.keys()].join(", ")} to ${outDir}`);
  return { outDir, bundle, trainedAt, lock };
}

/**
 * holdout-predictions.csv beside metrics.json (the evaluation step's forecasts, whichever fits the
 * bundle serves); without a holdout none (beginTrainOutputs removed one an earlier run left).
 */
async function writeHoldoutPredictions(
  predictions: HoldoutPredictions | null,
  outDir: string,
  written: WrittenOutputs,
  { steps, print }: { steps: StepLog; print: (line: string) => void },
): Promise<void> {
  if (!predictions) return;
  const { guarded } = await steps.step("write holdout predictions", async () => {
    const csv = holdoutPredictionsCsv(predictions);
    await writeTrainOutput(outDir, HOLDOUT_PREDICTIONS_FILE, csv.text, written);
    return csv;
  });
  print(
    `wrote ${HOLDOUT_PREDICTIONS_FILE} (${predictions.summaries.n.toLocaleString("en-US")} customers) to ${outDir}`,
  );
  if (guarded > 0) {
    print(
      `note: ${guarded.toLocaleString("en-US")} customer ids in ${HOLDOUT_PREDICTIONS_FILE} begin like a spreadsheet formula (=, +, -, @): written with a leading ' so that a spreadsheet runs nothing`,
    );
  }
}

interface RegisterInput {
  options: TrainPipelineOptions;
  env: Record<string, string | undefined>;
  bundle: ModelBundle;
  served: TrainedModels;
  summaries: CustomerSummaries;
  trainedAt: Date;
  steps: StepLog;
  print: (line: string) => void;
}

/** Registers the bundle as a new version of `name`; promotes it (--promote, or the gate). */
async function registerStep(
  name: string,
  input: RegisterInput,
): Promise<Pick<TrainPipelineResult, "registered" | "gate">> {
  const { options, served } = input;
  const outcome = await input.steps.step("register", async () => {
    const opened = await openRegistryFromEnv(input.env);
    try {
      const version = await registerBundle({
        registry: opened.registry,
        name,
        bundle: input.bundle,
        trained: served,
        summaries: input.summaries,
        trainedAt: input.trainedAt,
        promote: options.promote ?? false,
      });
      let stage = version.stage;
      let decision: GateDecision | null = null;
      if (options.promoteIfBetter && !options.promote) {
        try {
          decision = await promotionDecision(
            opened.registry,
            name,
            served.metrics.evaluation as EvaluationSection,
          );
          if (decision.promote)
            stage = (await opened.registry.promote(name, version.version)).promoted.stage;
        } catch (error) {
          throw gateInterrupted(name, version.version, error);
        }
      }
      const leftOut = input.summaries.n - version.customerFeaturesWritten;
      return { registered: { name, version: version.version, stage }, gate: decision, leftOut };
    } finally {
      await opened.close();
    }
  });
  const { registered, gate, leftOut } = outcome;
  input.print(`registered ${registered.name} v${registered.version} (${registered.stage})`);
  // The registration leaves out customers `ml forget` erased in the last day (their log may still
  // hold them); said, since /forecast and /decision then answer 404 for them.
  if (leftOut > 0) {
    input.print(
      `left out of the stored customers: ${leftOut.toLocaleString("en-US")} erased by ml forget in the last day (the log still holds them; remove them from it)`,
    );
  }
  if (gate) input.print(`${gate.promote ? "promoted" : "not promoted"}: ${gate.reason}`);
  return outcome;
}

/**
 * The gate failed after the version was committed (the database gone between the two, say): the
 * error says the version is there and how to finish, since running `ml train` again as a lost
 * connection's message advises would register another copy of it.
 */
function gateInterrupted(name: string, version: number, error: unknown): RegistryStateError {
  const cause = errorChain(error).at(-1) as { code?: unknown; message?: string } | undefined;
  const reason = `${typeof cause?.code === "string" ? `${cause.code}: ` : ""}${cause?.message ?? String(error)}`;
  return new RegistryStateError(
    `${name} v${version} is registered (staging), but --promote-if-better stopped before deciding (${reason}); do not train again (that registers another version): once the database answers, compare it with production (\`ml models ${name}\`) and run \`ml promote ${name} ${version}\` to make it production`,
  );
}

/** Runs the production step unless --evaluate-only or there is no log; prints what it built. */
async function productionStep(
  log: TransactionLog | null,
  trained: TrainedModels,
  options: TrainPipelineOptions & { pool: TaskPool },
  steps: StepLog,
  print: (line: string) => void,
): Promise<ProductionModels | null> {
  if (options.evaluateOnly) {
    print(
      "--evaluate-only: the bundle holds the calibration fits (features at the calibration end)",
    );
    return null;
  }
  if (log === null) {
    if (options.asOf)
      throw new RangeError("--as-of: needs a transaction log, not --format summary");
    return null;
  }
  const production = await trainProduction(log, trained, {
    ...(options.asOf ? { asOf: options.asOf } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.fast !== undefined ? { fast: options.fast } : {}),
    pool: options.pool,
    steps,
  });
  const p = production.metrics;
  const window = p.fits.gbdt;
  print(
    `production: as of ${p.as_of}, ${p.customers.toLocaleString("en-US")} customers` +
      (window
        ? `; GBDT trained on features at ${window.features_at} and purchases ${window.labels_from}..${window.labels_to} (${window.customers.toLocaleString("en-US")} customers)`
        : "; no GBDT"),
  );
  for (const note of p.notes) print(note);
  return production;
}
