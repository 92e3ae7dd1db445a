// The training stage after the GBDT cross-validation: the out-of-fold `blend`, the count
// distributions' dispersion, holdout calibration of every model's intervals, and errors per
// calibration-frequency segment. Called by train-models with the GBDT's own folds.

import { type CountCalibration, countCalibration } from "../evaluation/calibration.ts";
import type { Fold } from "../evaluation/k-fold.ts";
import { type CountMetrics, countMetrics } from "../evaluation/metrics.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import {
  forecastIntervals,
  type IntervalModel,
  type ModelIntervals,
  meanOnlyPmf,
} from "../forecasting/intervals.ts";
import type { ParameterCovariances } from "../forecasting/parameter-uncertainty.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { CountPmf } from "../models/count-pmf.ts";
import type { GammaGammaParams } from "../models/gamma-gamma.ts";
import { fitDispersion } from "../models/negative-binomial.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import { createSeededRandom, seededPermutation } from "../random/seeded-random.ts";
import type { IntervalCalibrationRows } from "../report/interval-calibration-charts.ts";
import type { ReportTable } from "../report/report-html.ts";
import {
  BLEND_INPUTS,
  type BlendWeights,
  crossValidateBlend,
  frequencySegment,
  SEGMENT_LABELS,
  SEGMENTS,
  thinned,
} from "./blend.ts";

export const CALIBRATION_LEVELS = [0.5, 0.8, 0.95] as const;
/** Calibration is scored on at most this many customers (a seeded sample): PMFs cost. */
export const CALIBRATION_SAMPLE = 10_000;

export interface StackingInput {
  summaries: CustomerSummaries;
  /** Holdout forecasts: BTYD from the calibration fit, GBDT out of fold. */
  forecasts: Record<"bgnbd" | "pareto_nbd" | "gbdt", Float64Array>;
  folds: Fold[];
  params: { bgnbd: BgNbdParams; paretoNbd: ParetoNbdParams; gammaGamma: GammaGammaParams | null };
  covariances: ParameterCovariances;
  seed: number;
}

export interface SegmentErrors {
  segment: string;
  customers: number;
  actual_mean: number;
  predicted_mean: number;
  mae: number;
  rmse: number;
  poisson_deviance: number;
}

export interface StackingResult {
  blend: BlendWeights;
  /** Out-of-fold blend forecasts and their holdout scores. */
  blendOof: Float64Array;
  blendHoldout: CountMetrics;
  /** Out-of-fold deviance per pooling strength tried. */
  poolingDeviance: Record<string, number>;
  /** NB dispersion of the mean-only models, fitted on all out-of-fold forecasts. */
  dispersion: { gbdt: number; blend: number };
  calibration: Record<IntervalModel, CountCalibration>;
  bySegment: Record<IntervalModel, SegmentErrors[]>;
}

/** Per frequency segment: the model's errors on the holdout. */
export function segmentErrors(
  x: ArrayLike<number>,
  actual: Float64Array,
  predicted: Float64Array,
): SegmentErrors[] {
  const rows: number[][] = Array.from({ length: SEGMENTS }, () => []);
  for (let i = 0; i < actual.length; i++) rows[frequencySegment(x[i])].push(i);
  return rows.map((segmentRows, g) => {
    const a = Float64Array.from(segmentRows, (i) => actual[i]);
    const p = Float64Array.from(segmentRows, (i) => predicted[i]);
    const m = countMetrics(a, p);
    return {
      segment: SEGMENT_LABELS[g],
      customers: segmentRows.length,
      actual_mean: a.length ? m.actual_total / a.length : Number.NaN,
      predicted_mean: a.length ? m.predicted_total / a.length : Number.NaN,
      mae: m.mae,
      rmse: m.rmse,
      poisson_deviance: m.poisson_deviance,
    };
  });
}

/** Per customer, the dispersion fitted on the other folds' out-of-fold forecasts. */
function foldDispersion(folds: Fold[], actual: Float64Array, oof: Float64Array): Float64Array {
  const out = new Float64Array(actual.length);
  for (const fold of folds) {
    const rows = thinned(fold.train);
    const phi = fitDispersion(
      Array.from(rows, (i) => actual[i]),
      Array.from(rows, (i) => oof[i]),
    );
    for (const i of fold.test) out[i] = phi;
  }
  return out;
}

export function stackAndCalibrate(input: StackingInput): StackingResult {
  const { summaries: s, forecasts, folds } = input;
  const actual = s.holdoutPurchases;
  const cv = crossValidateBlend(
    [forecasts.bgnbd, forecasts.pareto_nbd, forecasts.gbdt],
    actual,
    s.x,
    folds,
  );
  const oof: Record<IntervalModel, Float64Array> = { ...forecasts, blend: cv.oof };
  const sample = thinned(Uint32Array.from({ length: s.n }, (_, i) => i));
  const pick = (v: Float64Array) => Array.from(sample, (i) => v[i]);
  const dispersion = {
    gbdt: fitDispersion(pick(actual), pick(forecasts.gbdt)),
    blend: fitDispersion(pick(actual), pick(cv.oof)),
  };
  const calibration = calibrate(input, oof);
  const bySegment = Object.fromEntries(
    (Object.keys(oof) as IntervalModel[]).map((m) => [m, segmentErrors(s.x, actual, oof[m])]),
  ) as Record<IntervalModel, SegmentErrors[]>;
  return {
    blend: cv.final,
    blendOof: cv.oof,
    blendHoldout: countMetrics(actual, cv.oof),
    poolingDeviance: cv.deviance,
    dispersion,
    calibration,
    bySegment,
  };
}

/**
 * Holdout calibration of each model's predictive distribution on a seeded sample; the mean-only
 * models use, per customer, the dispersion fitted on the other folds (nothing is scored on data
 * its spread was fitted on).
 */
function calibrate(
  input: StackingInput,
  oof: Record<IntervalModel, Float64Array>,
): Record<IntervalModel, CountCalibration> {
  const s = input.summaries;
  const actual = s.holdoutPurchases;
  const order = seededPermutation(s.n, createSeededRandom(input.seed + 7));
  const rows = Array.from(order.subarray(0, Math.min(s.n, CALIBRATION_SAMPLE))).sort(
    (a, b) => a - b,
  );
  const pick = (v: ArrayLike<number>) => Float64Array.from(rows, (i) => v[i]);
  const levels = [...CALIBRATION_LEVELS];
  const btyd = forecastIntervals(
    { ...input.params, covariances: input.covariances, dispersion: {} },
    {
      x: pick(s.x),
      tx: pick(s.tx),
      T: pick(s.T),
      monetary: new Float64Array(rows.length).fill(Number.NaN),
      horizon: s.holdoutLength,
      levels,
      distribution: true,
    },
  );
  const sampleActual = pick(actual);
  const pmfsOf = (m: ModelIntervals | undefined) => (i: number) => m?.pmf?.[i] ?? null;
  const meanOnly = (m: "gbdt" | "blend") => {
    const phi = pick(foldDispersion(input.folds, actual, oof[m]));
    const means = pick(oof[m]);
    const pmfs: CountPmf[] = Array.from(rows, (_, j) => meanOnlyPmf(means[j], phi[j]));
    return countCalibration(sampleActual, (i) => pmfs[i], levels);
  };
  return {
    bgnbd: countCalibration(sampleActual, pmfsOf(btyd.bgnbd), levels),
    pareto_nbd: countCalibration(sampleActual, pmfsOf(btyd.pareto_nbd), levels),
    gbdt: meanOnly("gbdt"),
    blend: meanOnly("blend"),
  };
}

const round4 = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(4)) : v);

/** The metrics.json parts: models.blend, calibration and by_segment. */
export function stackingMetrics(result: StackingResult) {
  return {
    models: {
      blend: {
        inputs: [...BLEND_INPUTS],
        segments: [...SEGMENT_LABELS],
        weights: result.blend.weights.map((w) => w.map(round4)),
        pooling: Number.isFinite(result.blend.pooling) ? result.blend.pooling : ("global" as const),
        pooling_deviance: result.poolingDeviance,
        holdout: result.blendHoldout,
        dispersion: result.dispersion,
      },
    },
    calibration: {
      method:
        "randomised PIT averaged exactly over its randomisation (Czado, Gneiting & Held 2009); coverage = randomised central interval, interval_coverage = the served integer interval (conservative)",
      models: result.calibration,
    },
    by_segment: result.bySegment,
  };
}

const MODEL_LABELS: Record<IntervalModel, string> = {
  bgnbd: "BG/NBD",
  pareto_nbd: "Pareto/NBD",
  gbdt: "GBDT (out of fold)",
  blend: "blend (out of fold)",
};

/** Report tables: blend weights, coverage per level and errors per frequency segment. */
export function stackingTables(result: StackingResult): ReportTable[] {
  const models = Object.keys(result.calibration) as IntervalModel[];
  return [
    {
      title: `Blend weights per calibration frequency (${BLEND_INPUTS.join(", ")}; pooling ${Number.isFinite(result.blend.pooling) ? result.blend.pooling : "global"}, chosen out of fold)`,
      columns: ["segment", ...BLEND_INPUTS],
      rows: result.blend.weights.map((w, g) => [SEGMENT_LABELS[g], ...w.map(round4)]),
    },
    {
      title:
        "Holdout coverage of the purchase intervals (randomised PIT; integer interval in brackets)",
      columns: ["model", ...CALIBRATION_LEVELS.map((l) => `${l * 100}%`)],
      rows: models.map((m) => [
        MODEL_LABELS[m],
        ...result.calibration[m].levels.map(
          (l) => `${(100 * l.coverage).toFixed(1)}% (${(100 * l.interval_coverage).toFixed(1)}%)`,
        ),
      ]),
    },
    {
      title: "Holdout errors by calibration frequency: Poisson deviance / RMSE (mean predicted)",
      columns: ["segment", "customers", "actual mean", ...models.map((m) => MODEL_LABELS[m])],
      rows: SEGMENT_LABELS.map((label, g) => {
        const first = result.bySegment[models[0]][g];
        return [
          label,
          first.customers,
          round4(first.actual_mean),
          ...models.map((m) => {
            const e = result.bySegment[m][g];
            return `${e.poisson_deviance.toFixed(3)} / ${e.rmse.toFixed(3)} (${e.predicted_mean.toFixed(2)})`;
          }),
        ];
      }),
    },
  ];
}

/** The rows of the report's coverage and PIT charts. */
export function intervalCalibrationRows(result: StackingResult): IntervalCalibrationRows {
  const models = Object.keys(result.calibration) as IntervalModel[];
  return {
    coverage: models.flatMap((m) =>
      result.calibration[m].levels.map((l) => ({
        model: MODEL_LABELS[m],
        level: l.level,
        coverage: l.coverage,
      })),
    ),
    pit: models.flatMap((m) =>
      result.calibration[m].pit_histogram.map((share, b) => ({
        model: MODEL_LABELS[m],
        bin: `${b / 10}-${(b + 1) / 10}`,
        share,
      })),
    ),
  };
}
