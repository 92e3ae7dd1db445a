// The `ml track` pipeline: the transactions that arrived after a registered version's cutoff →
// each customer's realized purchases in the window → the forecasts that version issues for the
// same window (BG/NBD, Pareto/NBD, and the GBDT when the window is its trained horizon) → error by
// segment and calibration → stored in forecast_tracking → tracking.json and a chart report.

import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Database } from "@pp/shared/db/database.ts";
import type { ModelRegistry, ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import { loadStoredCustomers, saveTrackingResults } from "@pp/shared/registry/tracking-store.ts";
import type { TopLevelSpec } from "vega-lite";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import { type DataQuality, dataQualityLines } from "../data/input/data-quality.ts";
import type { LogColumns } from "../data/input/log-input.ts";
import { dayToIsoDate, isoDateToDay, type ReadReport } from "../data/transaction-log.ts";
import { unitDays } from "../features/summaries.ts";
import { type BgNbdParams, bgnbdExpectedPurchasesBatch } from "../models/bgnbd.ts";
import { type ParetoNbdParams, paretoNbdExpectedPurchasesBatch } from "../models/pareto-nbd.ts";
import { parseTreeEnsembleOnnx } from "../onnx/parse-tree-ensemble.ts";
import { evaluateTreeEnsemble } from "../onnx/tree-ensemble-evaluator.ts";
import { renderSvg } from "../report/render-svg.ts";
import { type ForecastAccuracy, forecastAccuracy } from "../tracking/forecast-tracking.ts";
import { lastTransactionDay, realizedPurchases } from "../tracking/realized-purchases.ts";
import { type LogFormat, type LogReadOptions, readLog } from "./read-log.ts";

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

export async function runTrackPipeline(o: TrackPipelineOptions): Promise<TrackPipelineResult> {
  const print = o.print ?? console.log;
  const version = await chosenVersion(o);
  const params = version.params as {
    bgnbd?: BgNbdParams;
    pareto_nbd?: ParetoNbdParams;
    horizon?: number;
    recommended?: string;
  };
  if (!params.bgnbd || !params.pareto_nbd) {
    throw new Error(`${o.model} v${version.version}: params lack bgnbd / pareto_nbd`);
  }
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
    ...(o.log ? { log: o.log } : {}),
  });
  for (const line of dataQualityLines(quality)) print(line);
  const endDay = o.windowEnd === undefined ? lastTransactionDay(log) : isoDateToDay(o.windowEnd);
  if (Number.isNaN(endDay)) throw new RangeError(`--data: ${o.data} holds no transactions`);
  if (endDay <= cutoffDay) {
    throw new RangeError(
      `${o.windowEnd === undefined ? "--data: the last transaction" : "--window-end"} ` +
        `${dayToIsoDate(endDay)} is not after the cutoff ${version.calibrationEnd} of ${o.model} v${version.version}`,
    );
  }
  const horizon = (endDay - cutoffDay) / unit;
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

  const { x, tx, T } = customers;
  const results = [
    forecastAccuracy(
      "bgnbd",
      bgnbdExpectedPurchasesBatch(params.bgnbd, horizon, x, tx, T),
      happened.realized,
      x,
    ),
    forecastAccuracy(
      "pareto_nbd",
      paretoNbdExpectedPurchasesBatch(params.pareto_nbd, horizon, x, tx, T),
      happened.realized,
      x,
    ),
  ];
  const gbdt = await gbdtForecasts(o.registry, version, customers, horizon, params.horizon);
  if (gbdt.predicted) {
    results.push(forecastAccuracy("gbdt", gbdt.predicted, happened.realized, x));
  } else notes.push(gbdt.note);

  await saveTrackingResults(
    o.db,
    {
      modelVersionId: version.id,
      windowStart: version.calibrationEnd,
      windowEnd: dayToIsoDate(endDay),
      horizon,
      timeUnit: version.timeUnit,
    },
    results,
    o.trackedAt,
  );

  const result: TrackPipelineResult = {
    model: o.model,
    version: version.version,
    windowStart: version.calibrationEnd,
    windowEnd: dayToIsoDate(endDay),
    horizon,
    timeUnit: version.timeUnit,
    read: { ...read, errors: read.errors.slice(0, 20) },
    data: quality,
    transactionsInWindow: happened.transactionsInWindow,
    unknownCustomers: happened.unknownCustomers,
    results,
    notes,
  };
  print(
    `tracked ${o.model} v${version.version}: window after ${result.windowStart} through ` +
      `${result.windowEnd} (${round(horizon)} ${version.timeUnit}s), ${customers.ids.length} customers`,
  );
  for (const r of results) {
    print(
      `  ${r.forecaster}: realized ${round(r.metrics.realized_total)} vs forecast ` +
        `${round(r.metrics.predicted_total)} (ratio ${round(r.metrics.realized_to_predicted)}), ` +
        `MAE ${round(r.metrics.mae)}, calibration error ${round(r.metrics.calibration_error)}`,
    );
  }
  for (const note of notes) print(`  note: ${note}`);
  if (o.out) await writeTrackingReport(resolve(o.out), result);
  return result;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** The GBDT count model's forecasts, only when the window is the horizon it was trained for. */
async function gbdtForecasts(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  customers: Awaited<ReturnType<typeof loadStoredCustomers>>,
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

/** tracking.json (the stored figures) and tracking.html (calibration and segment charts). */
export async function writeTrackingReport(dir: string, result: TrackPipelineResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "tracking.json"), `${JSON.stringify(result, null, 2)}\n`);
  const calibration = result.results.flatMap((r) =>
    r.calibration.map((b) => ({ forecaster: r.forecaster, ...b })),
  );
  const segments = result.results.flatMap((r) =>
    r.segments.flatMap((s) => [
      { forecaster: r.forecaster, segment: s.segment, series: "forecast", mean: s.predicted_mean },
      { forecaster: r.forecaster, segment: s.segment, series: "realized", mean: s.realized_mean },
    ]),
  );
  const maxMean = Math.max(
    1,
    ...calibration.map((b) => Math.max(b.predicted_mean, b.realized_mean)),
  );
  const calibrationSpec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Calibration: mean realized vs. mean forecast purchases per bin",
    width: 420,
    height: 320,
    layer: [
      {
        data: { values: [{ v: 0 }, { v: maxMean }] },
        mark: { type: "line", color: "#999999", strokeDash: [4, 4] },
        encoding: {
          x: { field: "v", type: "quantitative" },
          y: { field: "v", type: "quantitative" },
        },
      },
      {
        data: { values: calibration },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "predicted_mean", type: "quantitative", title: "mean forecast" },
          y: { field: "realized_mean", type: "quantitative", title: "mean realized" },
          color: { field: "forecaster", type: "nominal" },
          size: { field: "customers", type: "quantitative" },
        },
      },
    ],
  };
  const segmentSpec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Mean purchases per customer by frequency at the cutoff",
    data: { values: segments },
    mark: "bar",
    width: 120,
    height: 220,
    encoding: {
      column: { field: "forecaster", type: "nominal" },
      x: { field: "segment", type: "nominal", sort: null },
      xOffset: { field: "series", type: "nominal" },
      y: { field: "mean", type: "quantitative", title: "purchases per customer" },
      color: { field: "series", type: "nominal" },
    },
  };
  const rows = result.results
    .map(
      (r) =>
        `<tr><td>${r.forecaster}</td><td>${r.customers}</td><td>${round(r.metrics.predicted_total)}</td>` +
        `<td>${round(r.metrics.realized_total)}</td><td>${round(r.metrics.mae)}</td>` +
        `<td>${round(r.metrics.rmse)}</td><td>${round(r.metrics.calibration_error)}</td></tr>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${result.model} v${result.version}: realized vs. forecast</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style></head>
<body><h1>${result.model} v${result.version}: realized vs. forecast</h1>
<p>Window after ${result.windowStart} through ${result.windowEnd} (${round(result.horizon)} ${result.timeUnit}s);
${result.transactionsInWindow} transactions in the window.</p>
${result.notes.map((n) => `<p>${n}</p>`).join("\n")}
<table><tr><th>forecaster</th><th>customers</th><th>forecast</th><th>realized</th><th>MAE</th><th>RMSE</th><th>calibration error</th></tr>
${rows}</table>
${await renderSvg(calibrationSpec)}
${await renderSvg(segmentSpec)}
</body></html>
`;
  await writeFile(join(dir, "tracking.html"), html);
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
