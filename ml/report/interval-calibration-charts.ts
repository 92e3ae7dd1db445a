// Report charts of interval calibration: holdout coverage per nominal level (the diagonal is
// perfect) and the randomised PIT histogram per model (flat at 1/bins is perfect).

import type { TopLevelSpec } from "vega-lite";

export interface IntervalCalibrationRows {
  coverage: { model: string; level: number; coverage: number }[];
  pit: { model: string; bin: string; share: number }[];
}

export function coverageSpec(rows: IntervalCalibrationRows["coverage"]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Holdout coverage of the purchase intervals (randomised PIT)",
    width: 400,
    height: 400,
    layer: [
      {
        data: { values: [{ v: 0.4 }, { v: 1 }] },
        mark: { type: "line", color: "#aaa", strokeDash: [4, 4] },
        encoding: {
          x: { field: "v", type: "quantitative", scale: { domain: [0.4, 1] } },
          y: { field: "v", type: "quantitative", scale: { domain: [0.4, 1] } },
        },
      },
      {
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "level", type: "quantitative", title: "nominal level" },
          y: { field: "coverage", type: "quantitative", title: "share of customers covered" },
          color: { field: "model", type: "nominal", title: null },
        },
      },
    ],
  };
}

export function pitSpec(rows: IntervalCalibrationRows["pit"]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Randomised PIT histogram of holdout purchases",
    width: 560,
    height: 260,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      x: { field: "bin", type: "ordinal", title: "PIT decile", sort: null },
      xOffset: { field: "model", type: "nominal" },
      y: { field: "share", type: "quantitative", title: "share of customers" },
      color: { field: "model", type: "nominal", title: null },
    },
  };
}
