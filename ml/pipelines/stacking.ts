// The training stage after the GBDT cross-validation: the out-of-fold `blend`, the count
// distributions' dispersion, holdout calibration of every model's intervals, and errors per
// calibration-frequency segment. Called by train-models with the GBDT's own folds.

import { type CountCalibration, countCalibration } from "../evaluation/calibration.ts";
import type { Fold } from "../evaluation/k-fold.ts";
import {
  type CountMetrics,
  countMetrics,
  type PurchaseMetrics,
  purchaseMetrics,
} from "../evaluation/metrics.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import type { IntervalColumns, IntervalModel, ModelIntervals } from "../forecasting/intervals.ts";
import type { ParameterCovariances } from "../forecasting/parameter-uncertainty.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { GammaGammaParams } from "../models/gamma-gamma.ts";
import { fitDispersion, negativeBinomialZero } from "../models/negative-binomial.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import { rateIfAliveColumn, rateIfAlivePurchaseColumn } from "../models/rate-if-alive.ts";
import { createTaskPool, type TaskPool } from "../parallel/task-pool.ts";
import { createSeededRandom, seededPermutation } from "../random/seeded-random.ts";
import type { IntervalCalibrationRows } from "../report/interval-calibration-charts.ts";
import type { ReportTable } from "../report/report-html.ts";
import {
  BLEND_INPUTS,
  BLEND_INPUTS_WITHOUT_RATE,
  type BlendInput,
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

/** What the BTYD models' calibration needs: nothing from the GBDT, so it can start first. */
export interface BtydCalibrationInput {
  summaries: CustomerSummaries;
  params: { bgnbd: BgNbdParams; paretoNbd: ParetoNbdParams; gammaGamma: GammaGammaParams | null };
  covariances: ParameterCovariances;
  seed: number;
  /** Where the calibration's parts run (default: this thread). */
  pool?: TaskPool;
}

export interface StackingInput extends BtydCalibrationInput {
  /** Holdout forecasts: BTYD from the calibration fit, GBDT out of fold. */
  forecasts: Record<"bgnbd" | "pareto_nbd" | "gbdt", Float64Array>;
  /**
   * The GBDT's out-of-fold P(purchase in the holdout): the GBDT's and the blend's distributions are
   * scored as served, a hurdle on it (without it, the NB around their mean alone).
   */
  gbdtPurchase?: Float64Array;
  /**
   * The BTYD models' P(purchase in the holdout) from the calibration fit: with the GBDT's, the
   * blend's P(purchase) is scored as served, its members' mixed (blendPurchaseMixture).
   */
  btydPurchase?: Record<"bgnbd" | "pareto_nbd", Float64Array>;
  folds: Fold[];
  /** The BTYD calibration, if started earlier (startBtydCalibration with the same input). */
  btydCalibration?: Promise<CalibrationPart[]>;
  /** false: stack without the rate-if-alive member (the blend as trained before it, to measure it). */
  rateIfAlive?: boolean;
}

/** Some customers' intervals and PMFs, computed in one task. */
export interface CalibrationPart {
  rows: number[];
  result: Partial<Record<IntervalModel, ModelIntervals>>;
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
  /** The stacked forecasts, in the order of the weights. */
  blendInputs: BlendInput[];
  blend: BlendWeights;
  /**
   * Out-of-fold blend forecasts and their holdout scores; AUC and log loss of its out-of-fold
   * P(purchase) when its members' are known (as served: at most its mean).
   */
  blendOof: Float64Array;
  /** The blend's out-of-fold P(purchase) as scored (at most its mean); null when not scored. */
  blendOofPurchase: Float64Array | null;
  blendHoldout: CountMetrics & Partial<PurchaseMetrics>;
  /** Out-of-fold deviance per pooling strength tried. */
  poolingDeviance: Record<string, number>;
  /** NB dispersion of the mean-only models, fitted on all out-of-fold forecasts. */
  dispersion: { gbdt: number; blend: number };
  /** Holdout calibration of the models that have intervals. */
  calibration: Partial<Record<IntervalModel, CountCalibration>>;
  /** Models without intervals and why; draws redrawn or dropped, customers without one. */
  intervalOmissions: Partial<Record<IntervalModel, string>>;
  intervalWarnings: string[];
  bySegment: Record<IntervalModel, SegmentErrors[]>;
}

/** Per frequency segment: the model's errors on the holdout. */
export function segmentErrors(
  x: ArrayLike<number>,
  actual: Float64Array,
  predicted: Float64Array,
): SegmentErrors[] {
  const rows: number[][] = Array.from({ length: SEGMENTS }, () => []);
  // Indices below the arrays' lengths in this file: the `?? 0` never applies.
  for (let i = 0; i < actual.length; i++) rows[frequencySegment(x[i] ?? 0)]?.push(i);
  return SEGMENT_LABELS.map((segment, g) => {
    const segmentRows = rows[g] ?? [];
    const a = Float64Array.from(segmentRows, (i) => actual[i] ?? 0);
    const p = Float64Array.from(segmentRows, (i) => predicted[i] ?? 0);
    const m = countMetrics(a, p);
    return {
      segment,
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
      Array.from(rows, (i) => actual[i] ?? 0),
      Array.from(rows, (i) => oof[i] ?? 0),
    );
    for (const i of fold.test) out[i] = phi;
  }
  return out;
}

export async function stackAndCalibrate(input: StackingInput): Promise<StackingResult> {
  const { summaries: s, forecasts, folds } = input;
  const actual = s.holdoutPurchases;
  // BG/NBD's rate if alive at the holdout length: where BG/NBD's dropout and the GBDT shrink the
  // heaviest buyers towards the population, it carries their own rate (README, "The blend").
  const blendInputs: BlendInput[] =
    input.rateIfAlive === false ? [...BLEND_INPUTS_WITHOUT_RATE] : [...BLEND_INPUTS];
  const members: Record<BlendInput, Float64Array> = {
    ...forecasts,
    rate_if_alive: rateIfAliveColumn(input.params.bgnbd, s.x, s.T, s.holdoutLength),
  };
  const cv = crossValidateBlend(
    blendInputs.map((m) => members[m]),
    actual,
    s.x,
    folds,
    [],
    memberPurchase(input, blendInputs),
  );
  const oof: Record<IntervalModel, Float64Array> = { ...forecasts, blend: cv.oof };
  const sample = thinned(Uint32Array.from({ length: s.n }, (_, i) => i));
  const pick = (v: Float64Array) => Array.from(sample, (i) => v[i] ?? 0);
  const dispersion = {
    gbdt: fitDispersion(pick(actual), pick(forecasts.gbdt)),
    blend: fitDispersion(pick(actual), pick(cv.oof)),
  };
  const { calibration, warnings } = await calibrate(input, oof, cv.oofPurchase);
  // As served: a count's P(at least one) is at most its mean.
  const blendOofPurchase = cv.oofPurchase
    ? cv.oofPurchase.map((p, i) => Math.min(p, cv.oof[i] ?? 0))
    : null;
  const bySegment = Object.fromEntries(
    (Object.keys(oof) as IntervalModel[]).map((m) => [m, segmentErrors(s.x, actual, oof[m])]),
  ) as Record<IntervalModel, SegmentErrors[]>;
  return {
    blendInputs,
    blend: cv.final,
    blendOof: cv.oof,
    blendOofPurchase,
    blendHoldout: {
      ...countMetrics(actual, cv.oof),
      ...(blendOofPurchase ? purchaseMetrics(actual, blendOofPurchase) : {}),
    },
    poolingDeviance: cv.deviance,
    dispersion,
    calibration,
    intervalOmissions: { ...input.covariances.omitted },
    intervalWarnings: warnings,
    bySegment,
  };
}

/** The blend members' P(purchase) in the holdout, in the order of `blendInputs`, when all are known. */
function memberPurchase(
  input: StackingInput,
  blendInputs: readonly BlendInput[],
): Float64Array[] | undefined {
  const { gbdtPurchase, btydPurchase, summaries: s } = input;
  if (!gbdtPurchase || !btydPurchase) return undefined;
  const purchase: Record<BlendInput, Float64Array> = {
    ...btydPurchase,
    gbdt: gbdtPurchase,
    rate_if_alive: rateIfAlivePurchaseColumn(input.params.bgnbd, s.x, s.T, s.holdoutLength),
  };
  return blendInputs.map((m) => purchase[m]);
}

/**
 * The customers calibration is scored on (all, or a seeded sample of CALIBRATION_SAMPLE, sorted)
 * and their largest x, which every part screens the Pareto/NBD parameter draws against.
 */
function calibrationRows(s: CustomerSummaries, seed: number): { rows: number[]; maxX: number } {
  const order = seededPermutation(s.n, createSeededRandom(seed + 7));
  const rows = Array.from(order.subarray(0, Math.min(s.n, CALIBRATION_SAMPLE))).sort(
    (a, b) => a - b,
  );
  return { rows, maxX: rows.reduce((max, i) => Math.max(max, s.x[i] ?? 0), 0) };
}

/** One calibration task: the given models' intervals and PMFs for the customers in `rows`. */
async function calibrationPart(
  input: BtydCalibrationInput,
  group: { rows: number[]; models: IntervalModel[]; dispersion: object },
  meanOnly: MeanOnlyColumns,
  screenMaxX: number,
): Promise<CalibrationPart> {
  const s = input.summaries;
  const pick = (v: ArrayLike<number>) => Float64Array.from(group.rows, (i) => v[i] ?? 0);
  const monetary = (i: number) => ((s.x[i] ?? 0) > 0 ? (s.monetary[i] ?? Number.NaN) : Number.NaN);
  const pool = input.pool ?? createTaskPool(1);
  const result = await pool.run("intervals", {
    models: {
      ...input.params,
      covariances: input.covariances,
      dispersion: group.dispersion,
      omitted: input.covariances.omitted ?? {},
    },
    input: {
      x: pick(s.x),
      tx: pick(s.tx),
      T: pick(s.T),
      monetary: Float64Array.from(group.rows, monetary),
      horizon: s.holdoutLength,
      levels: [...CALIBRATION_LEVELS],
      distribution: true,
      means: Object.fromEntries(Object.entries(meanOnly.means).map(([m, v]) => [m, pick(v)])),
      pPurchase: Object.fromEntries(
        Object.entries(meanOnly.pPurchase).map(([m, v]) => [m, pick(v)]),
      ),
      discountShare: {},
      models: group.models,
      screenMaxX,
    },
  });
  return { rows: group.rows, result };
}

/**
 * Starts the BTYD models' holdout calibration on the pool: their customers in contiguous parts
 * (the same order once joined), one per worker so that each worker has one and this thread none
 * (it has the GBDT fits to run meanwhile). The parts screen the Pareto/NBD draws against the whole
 * sample's x, so the answers do not depend on the cut.
 */
export function startBtydCalibration(input: BtydCalibrationInput): Promise<CalibrationPart[]> {
  const s = input.summaries;
  const { rows, maxX } = calibrationRows(s, input.seed);
  const parts = Math.max(1, (input.pool?.threads ?? 1) - 1);
  const partSize = Math.ceil(rows.length / parts);
  return Promise.all(
    Array.from({ length: parts }, (_, part) => rows.slice(part * partSize, (part + 1) * partSize))
      .filter((partRows) => partRows.length > 0)
      .map((partRows) =>
        calibrationPart(
          input,
          { rows: partRows, models: ["bgnbd", "pareto_nbd"], dispersion: {} },
          { means: {}, pPurchase: {} },
          maxX,
        ),
      ),
  );
}

/** The mean-only models' out-of-fold means and, when known, their P(purchase) (NaN: none). */
interface MeanOnlyColumns {
  means: Partial<Record<"gbdt" | "blend", Float64Array>>;
  pPurchase: Partial<Record<"gbdt" | "blend", Float64Array>>;
}

/**
 * The GBDT's and the blend's out-of-fold columns as served at the trained horizon: the GBDT's own
 * P(purchase), the blend's its members' mixed (ml/forecasting/blend-columns.ts), at most its mean;
 * without the members' (a caller that gives only the GBDT's), 1 − P(0) of the blend's NB.
 */
function meanOnlyColumns(
  oof: Record<IntervalModel, Float64Array>,
  phi: Record<"gbdt" | "blend", Float64Array>,
  gbdtPurchase: Float64Array | undefined,
  blendPurchase: Float64Array | undefined,
): MeanOnlyColumns {
  if (!gbdtPurchase) return { means: { gbdt: oof.gbdt, blend: oof.blend }, pPurchase: {} };
  const blend = Float64Array.from(oof.blend, (mu, i) =>
    Math.min(
      blendPurchase ? (blendPurchase[i] ?? 0) : 1 - negativeBinomialZero(mu, phi.blend[i] ?? 0),
      mu,
    ),
  );
  return {
    means: { gbdt: oof.gbdt, blend: oof.blend },
    pPurchase: { gbdt: gbdtPurchase, blend },
  };
}

/**
 * Holdout calibration of each model's predictive distribution on a seeded sample; the mean-only
 * models use, per customer, the dispersion fitted on the other folds (nothing is scored on data
 * its spread was fitted on).
 */
async function calibrate(
  input: StackingInput,
  oof: Record<IntervalModel, Float64Array>,
  blendPurchase: Float64Array | undefined,
): Promise<{ calibration: Partial<Record<IntervalModel, CountCalibration>>; warnings: string[] }> {
  const s = input.summaries;
  const { rows, maxX } = calibrationRows(s, input.seed);
  const btyd = input.btydCalibration ?? startBtydCalibration(input);
  // The mean-only models' dispersion comes from the other folds: scored fold by fold.
  const phi = {
    gbdt: foldDispersion(input.folds, s.holdoutPurchases, oof.gbdt),
    blend: foldDispersion(input.folds, s.holdoutPurchases, oof.blend),
  };
  const inFold = new Int32Array(s.n);
  input.folds.forEach((fold, f) => {
    for (const i of fold.test) inFold[i] = f;
  });
  const columns = meanOnlyColumns(oof, phi, input.gbdtPurchase, blendPurchase);
  const meanOnly = input.folds.map((fold, f) => {
    // The fold's dispersion, the same for each of its customers: read at its first.
    const i0 = fold.test[0] ?? 0;
    const group = {
      rows: rows.filter((i) => inFold[i] === f),
      models: ["gbdt", "blend"] as IntervalModel[],
      dispersion: { gbdt: phi.gbdt[i0] ?? Number.NaN, blend: phi.blend[i0] ?? Number.NaN },
    };
    return calibrationPart(input, group, columns, maxX);
  });
  const parts = [...(await btyd), ...(await Promise.all(meanOnly))];
  const scored = (model: IntervalModel): CountCalibration | null => {
    const members = parts.filter((p) => p.result[model]);
    if (members.length === 0) return null;
    const rowsOf = members.flatMap((p) => p.rows);
    const intervals = members.map((p) => p.result[model] as ModelIntervals);
    const pmfs = intervals.flatMap((m) => m.pmf ?? []);
    const calibration = countCalibration(
      rowsOf.map((i) => s.holdoutPurchases[i] ?? 0),
      (j) => pmfs[j] ?? null,
      [...CALIBRATION_LEVELS],
    );
    return withSpendCoverage(calibration, rowsOf, intervals, s.holdoutSpend);
  };
  const calibration: Partial<Record<IntervalModel, CountCalibration>> = {};
  for (const model of ["bgnbd", "pareto_nbd", "gbdt", "blend"] as const) {
    const c = scored(model);
    if (c) calibration[model] = c;
  }
  const warnings = mergedWarnings(
    parts.flatMap((p) => Object.values(p.result).flatMap((m) => m.warnings)),
  );
  return { calibration, warnings };
}

/**
 * The parts' warnings once each: the same message from several parts appears once, and counts of
 * customers ("no interval for N customer(s) …") are summed over the parts.
 */
export function mergedWarnings(warnings: string[]): string[] {
  const counted = /^(.*?)(\d+)( customer\(s\).*)$/;
  const totals = new Map<string, number>();
  for (const w of warnings) {
    const m = counted.exec(w);
    const key = m ? `${m[1]}\u0000${m[3]}` : w;
    totals.set(key, (totals.get(key) ?? 0) + (m ? Number(m[2]) : 0));
  }
  return [...totals].map(([key, n]) => {
    const [head, tail] = key.split("\u0000");
    return tail === undefined ? key : `${head}${n}${tail}`;
  });
}

/** Adds each level's holdout spend coverage (NaN without a spend model). */
function withSpendCoverage(
  calibration: CountCalibration,
  rows: number[],
  parts: ModelIntervals[],
  holdoutSpend: Float64Array,
): CountCalibration {
  calibration.levels.forEach((level, l) => {
    let inside = 0;
    let scored = 0;
    let j = 0;
    for (const part of parts) {
      const cols = part.byLevel[l] as IntervalColumns;
      const n = cols.spend.length / 2;
      for (let k = 0; k < n; k++, j++) {
        const lo = cols.spend[2 * k] ?? Number.NaN;
        const hi = cols.spend[2 * k + 1] ?? Number.NaN;
        if (Number.isNaN(lo)) continue;
        scored++;
        const y = holdoutSpend[rows[j] ?? -1] ?? Number.NaN;
        if (y >= lo - 1e-9 && y <= hi + 1e-9) inside++;
      }
    }
    level.spend_coverage = scored > 0 ? inside / scored : Number.NaN;
  });
  return calibration;
}

const round4 = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(4)) : v);

/** The metrics.json parts: models.blend, calibration and by_segment. */
export function stackingMetrics(result: StackingResult) {
  return {
    models: {
      blend: {
        inputs: [...result.blendInputs],
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
      omitted: result.intervalOmissions,
      warnings: result.intervalWarnings,
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
  const calibrated = Object.entries(result.calibration) as [IntervalModel, CountCalibration][];
  const models = Object.keys(result.bySegment) as IntervalModel[];
  return [
    {
      title: `Blend weights per calibration frequency (${result.blendInputs.join(", ")}; pooling ${Number.isFinite(result.blend.pooling) ? result.blend.pooling : "global"}, chosen out of fold)`,
      columns: ["segment", ...result.blendInputs],
      rows: result.blend.weights.map((w, g) => [SEGMENT_LABELS[g] ?? null, ...w.map(round4)]),
    },
    {
      title:
        "Holdout coverage of the intervals: purchases (randomised PIT; in brackets the served integer interval, and the spend interval)",
      columns: ["model", ...CALIBRATION_LEVELS.map((l) => `${l * 100}%`)],
      rows: calibrated.map(([m, c]) => [
        MODEL_LABELS[m],
        ...c.levels.map(
          (l) =>
            `${(100 * l.coverage).toFixed(1)}% (${(100 * l.interval_coverage).toFixed(1)}%; spend ${(100 * (l.spend_coverage ?? Number.NaN)).toFixed(1)}%)`,
        ),
      ]),
    },
    {
      title: "Holdout errors by calibration frequency: Poisson deviance / RMSE (mean predicted)",
      columns: ["segment", "customers", "actual mean", ...models.map((m) => MODEL_LABELS[m])],
      rows: SEGMENT_LABELS.map((label, g) => {
        const errors = models.map((m) => result.bySegment[m][g]);
        const first = errors[0];
        return [
          label,
          first ? first.customers : null,
          first ? round4(first.actual_mean) : null,
          ...errors.map((e) =>
            e
              ? `${e.poisson_deviance.toFixed(3)} / ${e.rmse.toFixed(3)} (${e.predicted_mean.toFixed(2)})`
              : null,
          ),
        ];
      }),
    },
  ];
}

/** The rows of the report's coverage and PIT charts. */
export function intervalCalibrationRows(result: StackingResult): IntervalCalibrationRows {
  const calibrated = Object.entries(result.calibration) as [IntervalModel, CountCalibration][];
  return {
    coverage: calibrated.flatMap(([m, c]) =>
      c.levels.map((l) => ({
        model: MODEL_LABELS[m],
        level: l.level,
        coverage: l.coverage,
      })),
    ),
    pit: calibrated.flatMap(([m, c]) =>
      c.pit_histogram.map((share, b) => ({
        model: MODEL_LABELS[m],
        bin: `${b / 10}-${(b + 1) / 10}`,
        share,
      })),
    ),
  };
}
