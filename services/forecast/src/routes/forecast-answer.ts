// The items of a POST /forecast answer, built from a forecast batch's columns and typed by the
// response schema (forecast-schemas.ts; never parsed at run time): per customer its summary, each
// model's figures rounded to 9 decimals, intervals where asked, and the recommended model.

import type {
  BatchForecast,
  GbdtColumns,
  ModelColumns,
} from "@pp/ml/forecasting/forecast-batch.ts";
import type { CustomerBatch } from "../forecasting/customer-batch.ts";
import {
  type BatchIntervals,
  distributionJson,
  intervalsJson,
} from "../forecasting/interval-columns.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import type {
  ForecastItem,
  ForecastModels,
  GbdtForecast,
  ItemErrorJson,
  ModelForecast,
  RecommendedModel,
} from "./forecast-schemas.ts";

/** What every item of one answer shares: the batch, its forecasts and what was asked. */
export interface AnswerContext {
  batch: CustomerBatch;
  result: BatchForecast;
  /** Null when neither intervals nor distributions were asked for. */
  intervals: BatchIntervals | null;
  levels: readonly number[];
  distribution: boolean;
  /** Why a model has no intervals in this bundle (a fit at its domain's edge). */
  omitted: { bgnbd?: string | undefined; pareto_nbd?: string | undefined } | undefined;
  /** The horizon differs from the GBDT's trained one (its figures were scaled). */
  scaled: boolean;
  preferred: RecommendedModel;
  /** Recommended where the preferred GBDT or blend has no figures (a customer by summary). */
  fallback: "bgnbd" | "pareto_nbd";
  /**
   * The bundle has a spend model (Gamma-Gamma). Without one (a log without amounts, or too few
   * repeat buyers with a spend) spend and CLV are null, as the schema says, not a failed item.
   */
  spend: boolean;
}

export function answerContext(
  model: LoadedModel,
  batch: CustomerBatch,
  result: BatchForecast,
  intervals: BatchIntervals | null,
  asked: { levels: readonly number[]; distribution: boolean },
): AnswerContext {
  return {
    batch,
    result,
    intervals,
    levels: asked.levels,
    distribution: asked.distribution,
    omitted: model.manifest.uncertainty?.covariances.omitted,
    scaled: Math.abs(result.horizon - model.trainedHorizon) > 1e-9,
    preferred: model.manifest.recommended,
    fallback: btydFallback(model.identity.metrics),
    spend: model.gammaGamma !== null,
  };
}

/**
 * Of BG/NBD and Pareto/NBD, the one with the lower holdout Poisson deviance (as training ranks
 * models); BG/NBD without the scores. It was BG/NBD always, also where Pareto/NBD scored better.
 */
export function btydFallback(metrics: Record<string, number>): "bgnbd" | "pareto_nbd" {
  const bg = metrics["bgnbd.holdout.poisson_deviance"];
  const pn = metrics["pareto_nbd.holdout.poisson_deviance"];
  return pn !== undefined && bg !== undefined && pn < bg ? "pareto_nbd" : "bgnbd";
}

/**
 * 9 decimals: plenty for money and probabilities, and it hides last-bit differences between
 * engines. Below 1e-3, 9 significant digits instead: a lapsed buyer's P(alive) of 4e-15 and
 * expected purchases of 4e-14 were served as 0, and lapsing-uplift divides one by the other.
 */
export function round(v: number): number | null {
  return Number.isFinite(v) ? round9(v) : null;
}

/** `round` of a value checked to be finite (a non-finite one would serialise as null all the same). */
function round9(v: number): number {
  return v >= 1e-3 || v <= -1e-3 || v === 0 ? Math.round(v * 1e9) / 1e9 : Number(v.toPrecision(9));
}

/** A column's value; the index is always within the batch (NaN stands for a missing value). */
const at = (column: Float64Array, i: number): number => column[i] ?? Number.NaN;

/**
 * The first of a model's figures that is not a finite number, else undefined; spend and CLV only
 * when the bundle has a spend model (without one they are null for everybody).
 */
function nonFiniteField(
  cols: ModelColumns,
  i: number,
  spend: boolean,
): keyof ModelForecast | undefined {
  if (!Number.isFinite(at(cols.expectedPurchases, i))) return "expected_purchases";
  if (!Number.isFinite(at(cols.pAlive, i))) return "p_alive";
  if (!Number.isFinite(at(cols.pPurchase, i))) return "p_purchase";
  if (!spend) return undefined;
  if (!Number.isFinite(at(cols.expectedSpend, i))) return "expected_spend";
  if (!Number.isFinite(at(cols.clv, i))) return "clv";
  return undefined;
}

/** A model's five figures for customer i, checked by nonFiniteField (spend: null without a spend model). */
function modelForecast(cols: ModelColumns, i: number, spend: boolean): ModelForecast {
  return {
    expected_purchases: round9(at(cols.expectedPurchases, i)),
    p_alive: round9(at(cols.pAlive, i)),
    p_purchase: round9(at(cols.pPurchase, i)),
    expected_spend: spend ? round9(at(cols.expectedSpend, i)) : null,
    clv: spend ? round9(at(cols.clv, i)) : null,
  };
}

function gbdtForecast(cols: GbdtColumns, i: number, scaled: boolean, spend: boolean): GbdtForecast {
  return {
    ...modelForecast(cols, i, spend),
    predicted_spend: round(at(cols.predictedSpend, i)),
    horizon_scaled: scaled,
  };
}

/** Adds the asked intervals and distribution, or why this model has none. */
function withUncertainty<T extends ModelForecast>(
  ctx: AnswerContext,
  name: keyof BatchIntervals,
  values: T,
  i: number,
): T {
  if (ctx.intervals === null) return values;
  const m = ctx.intervals[name];
  if (!m) {
    const why = name === "bgnbd" || name === "pareto_nbd" ? ctx.omitted?.[name] : undefined;
    if (why) values.intervals_unavailable = why;
    return values;
  }
  if (ctx.levels.length > 0) values.intervals = intervalsJson(m, ctx.levels, i);
  if (ctx.distribution) values.distribution = distributionJson(m, i);
  return values;
}

function notComputable(id: string, figure: string): ItemErrorJson {
  return {
    code: "not_computable",
    message:
      `customer ${JSON.stringify(id)}: the models cannot compute a finite ${figure} for this ` +
      "summary; check that frequency, recency and T are in the model's time unit (/model-info)",
  };
}

/** The models' figures for customer i; GBDT and blend only where all of theirs are finite. */
function forecastModels(ctx: AnswerContext, i: number): ForecastModels {
  const { bgnbd, paretoNbd, gbdt, blend } = ctx.result;
  const models: ForecastModels = {
    bgnbd: withUncertainty(ctx, "bgnbd", modelForecast(bgnbd, i, ctx.spend), i),
    pareto_nbd: withUncertainty(ctx, "pareto_nbd", modelForecast(paretoNbd, i, ctx.spend), i),
  };
  if (gbdt !== null && nonFiniteField(gbdt, i, ctx.spend) === undefined) {
    models.gbdt = withUncertainty(ctx, "gbdt", gbdtForecast(gbdt, i, ctx.scaled, ctx.spend), i);
  }
  if (blend !== null && nonFiniteField(blend, i, ctx.spend) === undefined) {
    models.blend = withUncertainty(ctx, "blend", modelForecast(blend, i, ctx.spend), i);
  }
  return models;
}

/** The item of customer i: its error, or its summary, models and recommended model. */
export function forecastItem(ctx: AnswerContext, id: string, i: number): ForecastItem {
  const { batch, result } = ctx;
  const error = batch.errors[i];
  if (error) return { id, error };
  // Never null figures: a summary the formulas cannot compute fails its own item.
  const bgnbdBad = nonFiniteField(result.bgnbd, i, ctx.spend);
  if (bgnbdBad) return { id, error: notComputable(id, `bgnbd.${bgnbdBad}`) };
  const paretoBad = nonFiniteField(result.paretoNbd, i, ctx.spend);
  if (paretoBad) return { id, error: notComputable(id, `pareto_nbd.${paretoBad}`) };
  const models = forecastModels(ctx, i);
  const preferred = ctx.preferred;
  const recommended =
    (preferred === "gbdt" && !models.gbdt) || (preferred === "blend" && !models.blend)
      ? ctx.fallback
      : preferred;
  const basis = batch.basis[i] ?? "id";
  const summary = {
    frequency: at(batch.x, i),
    recency: round9(at(batch.tx, i)),
    T: round9(at(batch.T, i)),
    monetary: round(at(batch.monetary, i)),
  };
  const asOf = batch.asOf[i];
  return asOf
    ? { id, basis, as_of: asOf, summary, recommended, models }
    : { id, basis, summary, recommended, models };
}
