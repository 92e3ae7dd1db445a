// The `ml train` pipeline: data → summaries → BTYD fits → holdout evaluation → features → K-fold
// GBDT → final GBDT → ONNX → metrics.json → report.html → bundle in DIR → optional registration,
// promotion and MLflow tracking.

import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import type { CsvColumns } from "../data/csv-reader.ts";
import { dataQualityLines } from "../data/input/data-quality.ts";
import type { TimeUnit } from "../features/customer-summaries.ts";
import { renderReportHtml } from "../report/report-html.ts";
import { attachDataQuality } from "./attach-data-quality.ts";
import { buildBundle } from "./build-bundle.ts";
import { type LogReadOptions, loadTrainingData } from "./load-training-data.ts";
import type { ModelBundle } from "./model-bundle.ts";
import { openRegistryFromEnv } from "./open-registry.ts";
import { registerBundle } from "./register-bundle.ts";
import { createStepLog, type StepLog } from "./step-log.ts";
import { type TrackRunResult, trackTrainingRun } from "./track-run.ts";
import { type DataFormat, type TrainedModels, trainModels } from "./train-models.ts";
import type { TrainingMetrics } from "./training-metrics.ts";

export interface TrainPipelineOptions {
  data: string;
  format: DataFormat;
  /** Required except for `format: "summary"` (summaries carry their own window). */
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  out: string;
  columns?: Partial<CsvColumns>;
  onBadRow?: BadRowPolicy;
  /** csv / parquet / postgres: source, extra columns, date format, time zone, returns. */
  log?: LogReadOptions;
  folds?: number;
  seed?: number;
  fast?: boolean;
  /** Register the bundle as a new version of this model. */
  register?: string;
  promote?: boolean;
  env?: Record<string, string | undefined>;
  steps?: StepLog;
  /** Where user-facing lines go (default console.log). */
  print?: (line: string) => void;
}

export interface TrainPipelineResult {
  outDir: string;
  metrics: TrainingMetrics;
  trained: TrainedModels;
  bundle: ModelBundle;
  registered: { name: string; version: number; stage: string } | null;
  /** MLflow outcome when MLFLOW_TRACKING_URI is set (a warning never fails training). */
  tracking: TrackRunResult | null;
}

export async function runTrainPipeline(
  options: TrainPipelineOptions,
): Promise<TrainPipelineResult> {
  const steps = options.steps ?? createStepLog();
  const print = options.print ?? console.log;
  const env = options.env ?? process.env;
  if (options.promote && !options.register) {
    throw new RangeError("--promote: needs --register NAME");
  }
  const loaded = await steps.step("read data", () =>
    loadTrainingData({
      path: options.data,
      format: options.format,
      ...(options.calibrationEnd ? { calibrationEnd: options.calibrationEnd } : {}),
      ...(options.holdoutEnd ? { holdoutEnd: options.holdoutEnd } : {}),
      timeUnit: options.timeUnit,
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
        ? ` (${loaded.summaries.excludedAfterCalibration} first bought after the calibration end: excluded)`
        : ""),
  );

  const trained = await trainModels(
    { log: loaded.log, summaries: loaded.summaries, source: options.data, format: options.format },
    {
      steps,
      ...(options.folds !== undefined ? { folds: options.folds } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.fast !== undefined ? { fast: options.fast } : {}),
    },
  );
  if (read.badRows > 0) trained.metrics.notes.push(`${read.badRows} malformed rows skipped`);
  attachDataQuality(trained, loaded.quality);

  const trainedAt = new Date();
  const reportHtml = await steps.step("render report", () => renderReportHtml(trained.report));
  const bundle = await steps.step("export ONNX + bundle", () =>
    buildBundle(trained, {
      ...(options.register ? { name: options.register } : {}),
      trainedAt,
      reportHtml,
    }),
  );
  const outDir = resolve(options.out);
  await steps.step("write bundle", async () => {
    await mkdir(outDir, { recursive: true });
    for (const [name, bytes] of bundle) await writeFile(join(outDir, name), bytes);
  });
  print(`wrote ${[...bundle.keys()].join(", ")} to ${outDir}`);

  let registered: TrainPipelineResult["registered"] = null;
  if (options.register) {
    const name = options.register;
    registered = await steps.step("register", async () => {
      const opened = await openRegistryFromEnv(env);
      try {
        const version = await registerBundle({
          registry: opened.registry,
          name,
          bundle,
          trained,
          summaries: loaded.summaries,
          trainedAt,
          promote: options.promote ?? false,
        });
        return { name, version: version.version, stage: version.stage };
      } finally {
        await opened.close();
      }
    });
    print(`registered ${registered.name} v${registered.version} (${registered.stage})`);
  }

  let tracking: TrainPipelineResult["tracking"] = null;
  if (env.MLFLOW_TRACKING_URI?.trim()) {
    tracking = await steps.step("MLflow", () =>
      trackTrainingRun(env, trained, bundle, steps, options.register),
    );
  }
  return { outDir, metrics: trained.metrics, trained, bundle, registered, tracking };
}
