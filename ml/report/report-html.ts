// The self-contained HTML training report: SVG charts (Vega-Lite rendered headless) comparing
// each model with what customers did, and tables of parameters and fit statistics.

import type { TopLevelSpec } from "vega-lite";
import type { CalibrationRow, DecileRow, FrequencyRow } from "./chart-tables.ts";
import {
  coverageSpec,
  type IntervalCalibrationRows,
  pitSpec,
} from "./interval-calibration-charts.ts";
import { renderSvg } from "./render-svg.ts";

export interface CumulativeRow {
  /** Weeks since the first purchase day of the data. */
  week: number;
  series: string;
  repeat_transactions: number;
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ReportInput {
  title: string;
  /** Short lines shown under the title (data window, notes such as "no holdout"). */
  notes: string[];
  cumulative?: { rows: CumulativeRow[]; calibrationEndWeek: number } | null;
  byFrequency?: FrequencyRow[] | null;
  deciles?: DecileRow[] | null;
  probabilityCalibration?: CalibrationRow[] | null;
  /** Holdout coverage and PIT of the purchase intervals, per model. */
  intervalCalibration?: IntervalCalibrationRows | null;
  tables: ReportTable[];
  /** What reading the data did (rows kept, skipped, returns): the report's first section. */
  dataTables?: ReportTable[];
}

const WIDTH = 560;
const HEIGHT = 300;

/** The same colour for a series in every chart; "actual" is black and solid. */
const SERIES_COLORS: Record<string, string> = {
  actual: "#222222",
  "BG/NBD": "#4c78a8",
  "Pareto/NBD": "#f58518",
  "GBDT (out of fold)": "#54a24b",
};

function seriesScale(names: string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)];
  const spare = ["#e45756", "#72b7b2", "#b279a2"];
  const color = (n: string, i: number) => SERIES_COLORS[n] ?? spare[i % spare.length] ?? "#888888";
  return { domain, range: domain.map(color) };
}

/** Solid for actual values, dashed for model forecasts. */
function dashScale(names: string[]): { domain: string[]; range: number[][] } {
  const domain = [...new Set(names)];
  return { domain, range: domain.map((n) => (n === "actual" ? [1, 0] : [6, 3])) };
}

/** Colour and dash by a "series" field, the same in every chart that shows actual vs models. */
function seriesEncoding(names: string[]) {
  return {
    color: {
      field: "series",
      type: "nominal" as const,
      title: null,
      scale: seriesScale(names),
    },
    strokeDash: {
      field: "series",
      type: "nominal" as const,
      title: null,
      scale: dashScale(names),
    },
  };
}

function cumulativeSpec(rows: CumulativeRow[], calibrationEndWeek: number): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Cumulative repeat transactions by week, actual and expected",
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "week", type: "quantitative", title: "week" },
          y: {
            field: "repeat_transactions",
            type: "quantitative",
            title: "cumulative repeat transactions",
          },
          ...seriesEncoding(rows.map((r) => r.series)),
        },
      },
      {
        data: { values: [{ week: calibrationEndWeek }] },
        mark: { type: "rule", color: "#888", strokeDash: [4, 4] },
        encoding: { x: { field: "week", type: "quantitative" } },
      },
    ],
  };
}

function byFrequencySpec(rows: FrequencyRow[]): TopLevelSpec {
  const order = [...new Set(rows.map((r) => r.frequency))];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Mean holdout purchases by calibration frequency",
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "frequency",
        type: "ordinal",
        sort: order,
        title: "repeat purchases in calibration",
      },
      y: { field: "mean_holdout_purchases", type: "quantitative", title: "mean holdout purchases" },
      ...seriesEncoding(rows.map((r) => r.series)),
    },
  };
}

function predictedVsActualSpec(
  title: string,
  rows: { model: string; predicted: number; actual: number }[],
  axis: { x: string; y: string },
): TopLevelSpec {
  const max = Math.max(1e-9, ...rows.map((r) => Math.max(r.predicted, r.actual)));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: WIDTH / 1.4,
    height: WIDTH / 1.4,
    layer: [
      {
        data: { values: [{ v: 0 }, { v: max }] },
        mark: { type: "line", color: "#aaa", strokeDash: [4, 4] },
        encoding: {
          x: { field: "v", type: "quantitative" },
          y: { field: "v", type: "quantitative" },
        },
      },
      {
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "predicted", type: "quantitative", title: axis.x },
          y: { field: "actual", type: "quantitative", title: axis.y },
          color: {
            field: "model",
            type: "nominal",
            title: null,
            scale: seriesScale(rows.map((r) => r.model)),
          },
          order: { field: "predicted", type: "quantitative" },
        },
      },
    ],
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table cell's text as the report writes it (escaped; numbers formatted). */
export function formatCell(v: string | number | null): string {
  if (v === null) return "—";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return Math.abs(v) >= 1000 ? v.toFixed(1) : v.toPrecision(4);
  }
  return escapeHtml(v);
}

function tableHtml(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows
    .map((r) => `<tr>${r.map((v) => `<td>${formatCell(v)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<h2>${escapeHtml(t.title)}</h2>\n<table><thead><tr>${head}</tr></thead>\n<tbody>${body}</tbody></table>`;
}

/** The whole report page; every chart is inline SVG, nothing is fetched. */
export async function renderReportHtml(input: ReportInput): Promise<string> {
  const sections: string[] = [];
  const chart = async (heading: string, spec: TopLevelSpec, caption: string) => {
    const svg = await renderSvg(spec);
    sections.push(
      `<section><h2>${escapeHtml(heading)}</h2>\n<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure></section>`,
    );
  };
  if (input.cumulative && input.cumulative.rows.length > 0) {
    await chart(
      "Tracking: cumulative repeat transactions",
      cumulativeSpec(input.cumulative.rows, input.cumulative.calibrationEndWeek),
      "Expected = sum over customers of the model's new-customer expectation E[X(t)] since their first purchase. The dashed rule marks the calibration end.",
    );
  }
  if (input.byFrequency && input.byFrequency.length > 0) {
    await chart(
      "Conditional expectations by frequency",
      byFrequencySpec(input.byFrequency),
      "Customers grouped by their repeat purchases in the calibration period; GBDT values are out of fold.",
    );
  }
  if (input.deciles && input.deciles.length > 0) {
    await chart(
      "Holdout purchases by decile of the prediction",
      predictedVsActualSpec(
        "Mean holdout purchases per decile: predicted vs actual",
        input.deciles,
        {
          x: "mean predicted purchases",
          y: "mean actual purchases",
        },
      ),
      "Each model's customers sorted by its own prediction and cut into ten groups; the diagonal is perfect calibration.",
    );
  }
  if (input.probabilityCalibration && input.probabilityCalibration.length > 0) {
    const rows = input.probabilityCalibration.map((r) => ({
      model: r.model,
      predicted: r.predicted,
      actual: r.observed,
    }));
    await chart(
      "Calibration of P(any purchase in the holdout)",
      predictedVsActualSpec("P(any purchase): mean predicted vs observed rate", rows, {
        x: "mean predicted probability",
        y: "observed share with a purchase",
      }),
      "Ten groups by predicted probability; the diagonal is perfect calibration.",
    );
  }
  if (input.intervalCalibration && input.intervalCalibration.coverage.length > 0) {
    await chart(
      "Calibration of the purchase intervals: coverage",
      coverageSpec(input.intervalCalibration.coverage),
      "Share of customers whose holdout purchases fall in the central interval of each nominal level, with ties at discrete counts randomised; the diagonal is perfect.",
    );
    await chart(
      "Calibration of the purchase intervals: PIT histogram",
      pitSpec(input.intervalCalibration.pit),
      "Randomised probability integral transform, averaged over its randomisation exactly; flat at 0.1 is perfect, a U shape means intervals too narrow, a hump too wide.",
    );
  }
  return pageHtml(input, sections);
}

/** The page around the chart sections: title, data tables, notes and metric tables. */
function pageHtml(input: ReportInput, sections: string[]): string {
  const notes = input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(input.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 0 0 2rem; }
figcaption { font-size: 0.85rem; color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${(input.dataTables ?? []).map(tableHtml).join("\n")}
<ul>${notes}</ul>
${input.tables.map(tableHtml).join("\n")}
${sections.join("\n")}
</body>
</html>
`;
}
