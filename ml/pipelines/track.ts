// The `ml track` pipeline: the transactions that arrived after a registered version's cutoff →
// each customer's realized purchases in the window → the forecasts that version issues for the
// same window (BG/NBD, Pareto/NBD, and the GBDT and blend when the window is the GBDT's trained
// horizon) → error by segment and calibration → stored in forecast_tracking → tracking.json and a
// chart report.

import { resolve } from "node:path";
import type { Database } from "@pp/shared/db/database.ts";
import type { ModelRegistry, ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import { loadStoredCustomers, saveTrackingResults } from "@pp/shared/registry/tracking-store.ts";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import { type DataQuality, dataQualityLines } from "../data/input/data-quality.ts";
import type { LogColumns } from "../data/input/log-input.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  logEndGap,
  type ReadReport,
  refuseFutureWindowEnd,
} from "../data/transaction-log.ts";
import { unitDays } from "../features/summaries.ts";
import { type BgNbdParams, bgnbdExpectedPurchasesBatch } from "../models/bgnbd.ts";
import { type ParetoNbdParams, paretoNbdExpectedPurchasesBatch } from "../models/pareto-nbd.ts";
import { parseTreeEnsembleOnnx } from "../onnx/parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "../onnx/tree-ensemble-evaluator.ts";
import { type ForecastAccuracy, forecastAccuracy } from "../tracking/forecast-tracking.ts";
import { lastTransactionDay, realizedPurchases } from "../tracking/realized-purchases.ts";
import { type LogFormat, type LogReadOptions, logOptionsFor, readLog } from "./read-log.ts";
import { blendForecasts } from "./track-blend.ts";
import { writeTrackingReport } from "./tracking-report.ts";

export { writeTrackingReport } from "./tracking-report.ts";

export interface TrackPipelineOptions {
  registry: ModelRegistry;
  db: Database;
  model: string;
  /** Default: the production version. */
  version?: number;
  /** Transactions after the cutoff (older rows are ignored, so the full log works too). */
  data: string;
  format: LogFormat;
  columns?: Partial<LogColumns>;
  onBadRow?: BadRowPolicy;
  /** The input layer's options (source, order/price columns, date format, time zone, returns). */
  log?: LogReadOptions;
  /** Last day of the window, YYYY-MM-DD; default: the last transaction date in the data. */
  windowEnd?: string;
  /** Directory for tracking.json and tracking.html (optional). */
  out?: string;
  trackedAt?: Date;
  print?: (line: string) => void;
}

export interface TrackPipelineResult {
  model: string;
  version: number;
  windowStart: string;
  windowEnd: string;
  horizon: number;
  timeUnit: string;
  read: ReadReport;
  /** What reading --data did to it (rows skipped by reason, returns, $0 lines, date range). */
  data: DataQuality;
  transactionsInWindow: number;
  unknownCustomers: number;
  results: ForecastAccuracy[];
  notes: string[];
}

async function chosenVersion(o: TrackPipelineOptions): Promise<ModelVersionInfo> {
  const found =
    o.version === undefined
      ? await o.registry.getProductionVersion(o.model)
      : await o.registry.getVersion(o.model, o.version);
  if (!found) {
    throw new RangeError(
      o.version === undefined
        ? `--model: "${o.model}" has no production version (pass --version)`
        : `--version: "${o.model}" has no version ${o.version}`,
    );
  }
  return found;
}

type StoredCustomers = Awaited<ReturnType<typeof loadStoredCustomers>>;

type TrackedParams = {
  bgnbd: BgNbdParams;
  pareto_nbd: ParetoNbdParams;
  horizon?: number;
  recommended?: string;
};

function trackedParams(o: TrackPipelineOptions, version: ModelVersionInfo): TrackedParams {
  const params = version.params as Partial<TrackedParams>;
  const { bgnbd, pareto_nbd } = params;
  if (!bgnbd || !pareto_nbd) {
    throw new Error(`${o.model} v${version.version}: params lack bgnbd / pareto_nbd`);
  }
  return { ...params, bgnbd, pareto_nbd };
}

/** Reads --data and finds the window: after the version's cutoff through `endDay`. */
async function readWindow(o: TrackPipelineOptions, version: ModelVersionInfo, print: Print) {
  const unit = unitDays(version.timeUnit as "day" | "week");
  const cutoffDay = isoDateToDay(version.calibrationEnd);
  const {
    log,
    report: read,
    quality,
  } = await readLog({
    path: o.data,
    format: o.format,
    ...(o.columns ? { columns: o.columns } : {}),
    ...(o.onBadRow ? { onBadRow: o.onBadRow } : {}),
    // A version trained with --ignore-id-case stores lower-cased ids: its window is read so too.
    ...logOptionsFor(o.log, version.dataWindow.idsLowerCased),
  });
  for (const line of dataQualityLines(quality)) print(line);
  const lastDay = lastTransactionDay(log);
  const endDay = o.windowEnd === undefined ? lastDay : isoDateToDay(o.windowEnd);
  if (Number.isNaN(endDay)) throw new RangeError(`--data: ${o.data} holds no transactions`);
  // As in campaign reports (9999-12-31 failed inside the formulas before).
  refuseFutureWindowEnd(endDay, o.trackedAt ?? new Date(), o.log?.timezone);
  const gap = logEndGap(lastDay, endDay);
  if (gap !== null) {
    print(
      `note: --data's last purchase is ${dayToIsoDate(lastDay)}, ${gap} days before --window-end ` +
        `${dayToIsoDate(endDay)}: those days count as days without purchases; if the log ends early, pass a newer export or an earlier --window-end`,
    );
  }
  if (endDay <= cutoffDay) {
    throw new RangeError(
      `${o.windowEnd === undefined ? "--data: the last transaction" : "--window-end"} ` +
        `${dayToIsoDate(endDay)} is not after the cutoff ${version.calibrationEnd} of ${o.model} v${version.version}`,
    );
  }
  return { log, read, quality, cutoffDay, endDay, horizon: (endDay - cutoffDay) / unit };
}

type Print = (line: string) => void;

/** Each forecaster's accuracy against the realized purchases (the GBDT's only at its horizon). */
async function trackForecasters(
  o: TrackPipelineOptions,
  version: ModelVersionInfo,
  customers: StoredCustomers,
  realized: Float64Array,
  horizon: number,
): Promise<{ results: ForecastAccuracy[]; gbdtNote: string | null }> {
  const params = trackedParams(o, version);
  const { x, tx, T } = customers;
  const results = [
    forecastAccuracy(
      "bgnbd",
      bgnbdExpectedPurchasesBatch(params.bgnbd, horizon, x, tx, T),
      realized,
      x,
    ),
    forecastAccuracy(
      "pareto_nbd",
      paretoNbdExpectedPurchasesBatch(params.pareto_nbd, horizon, x, tx, T),
      realized,
      x,
    ),
  ];
  const gbdt = await gbdtForecasts(o.registry, version, customers, horizon, params.horizon);
  if (!gbdt.predicted) return { results, gbdtNote: gbdt.note };
  results.push(forecastAccuracy("gbdt", gbdt.predicted, realized, x));
  // The blend stacks the GBDT, so it is tracked where the GBDT is: at its trained horizon.
  const blend = await blendForecasts(o.registry, version, customers, horizon);
  if (blend) results.push(forecastAccuracy("blend", blend, realized, x));
  return { results, gbdtNote: null };
}

function printTracked(print: Print, result: TrackPipelineResult, customers: number): void {
  print(
    `tracked ${result.model} v${result.version}: window after ${result.windowStart} through ` +
      `${result.windowEnd} (${round(result.horizon)} ${result.timeUnit}s), ${customers} customers`,
  );
  for (const r of result.results) {
    print(
      `  ${r.forecaster}: realized ${round(r.metrics.realized_total)} vs forecast ` +
        `${round(r.metrics.predicted_total)} (ratio ${round(r.metrics.realized_to_predicted)}), ` +
        `MAE ${round(r.metrics.mae)}, calibration error ${round(r.metrics.calibration_error)}`,
    );
  }
  for (const note of result.notes) print(`  note: ${note}`);
}

export async function runTrackPipeline(o: TrackPipelineOptions): Promise<TrackPipelineResult> {
  const print = o.print ?? console.log;
  const version = await chosenVersion(o);
  trackedParams(o, version);
  const { log, read, quality, cutoffDay, endDay, horizon } = await readWindow(o, version, print);
  const customers = await loadStoredCustomers(o.db, version.id);
  if (customers.ids.length === 0) {
    throw new Error(`${o.model} v${version.version} stored no customer summaries to track`);
  }
  const happened = realizedPurchases(log, customers.ids, cutoffDay, endDay);
  const notes: string[] = [];
  if (happened.unknownCustomers > 0) {
    notes.push(
      `${happened.unknownCustomers} customers in the window are new to the model (not tracked)`,
    );
  }
  const tracked = await trackForecasters(o, version, customers, happened.realized, horizon);
  if (tracked.gbdtNote !== null) notes.push(tracked.gbdtNote);
  const { results } = tracked;
  const window = {
    windowStart: version.calibrationEnd,
    windowEnd: dayToIsoDate(endDay),
    horizon,
    timeUnit: version.timeUnit,
  };
  await saveTrackingResults(o.db, { modelVersionId: version.id, ...window }, results, o.trackedAt);
  const result: TrackPipelineResult = {
    model: o.model,
    version: version.version,
    ...window,
    read: { ...read, errors: read.errors.slice(0, 20) },
    data: quality,
    transactionsInWindow: happened.transactionsInWindow,
    unknownCustomers: happened.unknownCustomers,
    results,
    notes,
  };
  printTracked(print, result, customers.ids.length);
  if (o.out) await writeTrackingReport(resolve(o.out), result);
  return result;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** The GBDT count model's forecasts, only when the window is the horizon it was trained for. */
async function gbdtForecasts(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  customers: StoredCustomers,
  horizon: number,
  trainedHorizon: number | undefined,
): Promise<{ predicted: Float32Array; note?: never } | { predicted: null; note: string }> {
  if (!version.artifacts.some((a) => a.name === BUNDLE_FILES.gbdtCount)) {
    return { predicted: null, note: "gbdt not tracked: the version has no GBDT count model" };
  }
  if (!trainedHorizon || Math.abs(horizon - trainedHorizon) > 1e-6) {
    return {
      predicted: null,
      note: `gbdt not tracked: it forecasts ${trainedHorizon} ${version.timeUnit}s, the window is ${round(horizon)}`,
    };
  }
  const ensemble = parseTreeEnsembleOnnx(
    await registry.loadArtifact(version, BUNDLE_FILES.gbdtCount),
  );
  if (ensemble.featureCount !== customers.featureCount) {
    return {
      predicted: null,
      note: `gbdt not tracked: the model reads ${ensemble.featureCount} features, the version stored ${customers.featureCount}`,
    };
  }
  return {
    predicted: evaluateTreeEnsemble(ensemble, customers.features, customers.ids.length).prediction,
  };
}

/** Opens the registry and database from the environment (as `ml train` does), tracks, closes. */
export async function runTrackFromEnv(
  options: Omit<TrackPipelineOptions, "registry" | "db">,
  env: Record<string, string | undefined> = process.env,
): Promise<TrackPipelineResult> {
  const { createDatabase, databaseOptionsFromEnv } = await import("@pp/shared/db/client.ts");
  const { artifactStoreLocationFromEnv, openArtifactStore } = await import(
    "@pp/shared/artifacts/open-artifact-store.ts"
  );
  const { ModelRegistry } = await import("@pp/shared/registry/model-registry.ts");
  const handle = await createDatabase(databaseOptionsFromEnv(env));
  try {
    await handle.migrate();
    const registry = new ModelRegistry(
      handle.db,
      openArtifactStore(artifactStoreLocationFromEnv(env), env),
    );
    return await runTrackPipeline({ ...options, registry, db: handle.db });
  } finally {
    await handle.close();
  }
}
