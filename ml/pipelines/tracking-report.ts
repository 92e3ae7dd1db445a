// `ml track --out DIR`: tracking.json (the stored figures) and tracking.html (calibration and
// segment charts, the accuracy table) of one tracked window.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@pp/shared/artifacts/atomic-file.ts";
import type { TopLevelSpec } from "vega-lite";
import { renderSvg } from "../report/render-svg.ts";
import type { ForecastAccuracy } from "../tracking/forecast-tracking.ts";
import type { TrackPipelineResult } from "./track.ts";

const round = (v: number) => Math.round(v * 1000) / 1000;

const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Mean realized vs. mean forecast per calibration bin, over the diagonal. */
function calibrationSpec(results: ForecastAccuracy[]): TopLevelSpec {
  const calibration = results.flatMap((r) =>
    r.calibration.map((b) => ({ forecaster: r.forecaster, ...b })),
  );
  const maxMean = Math.max(
    1,
    ...calibration.map((b) => Math.max(b.predicted_mean, b.realized_mean)),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
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
}

/** Mean forecast and realized purchases per frequency segment, per forecaster. */
function segmentSpec(results: ForecastAccuracy[]): TopLevelSpec {
  const segments = results.flatMap((r) =>
    r.segments.flatMap((s) => [
      { forecaster: r.forecaster, segment: s.segment, series: "forecast", mean: s.predicted_mean },
      { forecaster: r.forecaster, segment: s.segment, series: "realized", mean: s.realized_mean },
    ]),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
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
}

async function trackingHtml(result: TrackPipelineResult): Promise<string> {
  const rows = result.results
    .map(
      (r) =>
        `<tr><td>${r.forecaster}</td><td>${r.customers}</td><td>${round(r.metrics.predicted_total)}</td>` +
        `<td>${round(r.metrics.realized_total)}</td><td>${round(r.metrics.mae)}</td>` +
        `<td>${round(r.metrics.rmse)}</td><td>${round(r.metrics.calibration_error)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${result.model} v${result.version}: realized vs. forecast</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style></head>
<body><h1>${result.model} v${result.version}: realized vs. forecast</h1>
<p>Window after ${result.windowStart} through ${result.windowEnd} (${round(result.horizon)} ${result.timeUnit}s);
${result.transactionsInWindow} transactions in the window.</p>
${result.notes.map((n) => `<p>${n}</p>`).join("\n")}
<table><tr><th>forecaster</th><th>customers</th><th>forecast</th><th>realized</th><th>MAE</th><th>RMSE</th><th>calibration error</th></tr>
${rows}</table>
${await renderSvg(calibrationSpec(result.results))}
${await renderSvg(segmentSpec(result.results))}
</body></html>
`;
}

/** tracking.json (the stored figures) and tracking.html (calibration and segment charts). */
export async function writeTrackingReport(dir: string, result: TrackPipelineResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Atomic: a killed run leaves the old file or the new one, never a part.
  await writeFileAtomic(join(dir, "tracking.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFileAtomic(join(dir, "tracking.html"), await trackingHtml(result));
}
