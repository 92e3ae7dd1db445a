// Step 4 of `trainModels`: which model to recommend (best out-of-fold Poisson deviance; without a
// holdout, the better BTYD log-likelihood; never a flagged fit; the GBDT and the blend only on
// enough customers to serve a GBDT), and the GBDT vs BG/NBD comparison; servedRecommendation keeps
// it among the models a production bundle serves.

import type { TrainingMetrics } from "../bundle/training-metrics.ts";
import type { CountMetrics, PurchaseMetrics } from "../evaluation/metrics.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { type FitDiagnostics, recommendUnflagged } from "./fit-warnings.ts";
import { MIN_GBDT_CUSTOMERS } from "./gbdt-cross-validation.ts";

export type RecommendedModel = "gbdt" | "bgnbd" | "pareto_nbd" | "blend";

export interface RecommendationInput {
  bgnbd: FitResult<BgNbdParams>;
  paretoNbd: FitResult<ParetoNbdParams>;
  diagnostics: FitDiagnostics;
  /** Holdout scores; null for a model that was not scored. */
  holdout: {
    bgnbd: (CountMetrics & PurchaseMetrics) | null;
    pareto_nbd: CountMetrics | null;
    gbdt: { count: CountMetrics; purchase: PurchaseMetrics } | null;
    blend: CountMetrics | null;
  };
  /** What the holdout scores rest on (absent: not checked): calibration customers, holdout purchase days. */
  evaluated?: { customers: number; holdoutPurchases: number };
}

function round(v: number, digits: number): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}

/** Change of `b` relative to `a`, in percent (negative = lower). */
function percentChange(a: number, b: number): number {
  return ((b - a) / Math.abs(a)) * 100;
}

type Scores = Partial<Record<RecommendedModel, number>>;

/** Holdout Poisson deviances of the candidates: the GBDT and the blend only on enough customers. */
function candidateDeviances(input: RecommendationInput): Scores {
  const { holdout } = input;
  const worst = Number.POSITIVE_INFINITY;
  const btyd: Scores = {
    bgnbd: holdout.bgnbd?.poisson_deviance ?? worst,
    pareto_nbd: holdout.pareto_nbd?.poisson_deviance ?? worst,
  };
  if (tooFewForGbdt(input)) return btyd;
  return {
    blend: holdout.blend?.poisson_deviance ?? worst,
    gbdt: holdout.gbdt?.count.poisson_deviance ?? worst,
    ...btyd,
  };
}

const tooFewForGbdt = (input: RecommendationInput) =>
  input.evaluated !== undefined && input.evaluated.customers < MIN_GBDT_CUSTOMERS;

function pick(input: RecommendationInput): { recommended: RecommendedModel; note: string | null } {
  const deviances = candidateDeviances(input);
  // A model with fit warnings is never recommended (fit-warnings.ts). One model's NaN deviance
  // (a degenerate fit's forecasts) must not send the choice to the likelihoods, where the GBDT
  // and the blend have none: it did, and Pareto/NBD at 3.19 was recommended over a GBDT at 1.14.
  if (Object.values(deviances).some(Number.isFinite))
    return recommendUnflagged(deviances, false, input.diagnostics);
  const likelihoods = {
    gbdt: Number.NEGATIVE_INFINITY,
    bgnbd: input.bgnbd.logLikelihood,
    pareto_nbd: input.paretoNbd.logLikelihood,
  };
  return recommendUnflagged(likelihoods, true, input.diagnostics);
}

/**
 * On fewer customers than the production step trains a GBDT for, a warning that the holdout scores
 * rest on few, and, when the GBDT or the blend scored best, why it is not recommended.
 */
function thinEvaluationNotes(input: RecommendationInput, recommended: RecommendedModel): string[] {
  if (!input.evaluated || !tooFewForGbdt(input)) return [];
  const { customers, holdoutPurchases } = input.evaluated;
  const notes = [
    `WARNING: the holdout evaluation rests on ${customers} customers and ${holdoutPurchases} holdout purchase days: its scores, and the model they recommend, are noisy`,
  ];
  const scored = {
    blend: input.holdout.blend?.poisson_deviance,
    gbdt: input.holdout.gbdt?.count.poisson_deviance,
  };
  const chosen = candidateDeviances(input)[recommended] ?? Number.NaN;
  const beaten = Object.entries(scored).filter(
    (e): e is [string, number] => e[1] !== undefined && e[1] < chosen,
  );
  if (beaten.length === 0) return notes;
  const [model, deviance] = beaten.reduce((a, b) => (b[1] < a[1] ? b : a));
  notes.push(
    `${model} scored best on the holdout (Poisson deviance ${deviance.toFixed(4)}) but with fewer than ${MIN_GBDT_CUSTOMERS} customers the GBDT and the blend are not candidates (the production bundle has no GBDT then): recommended ${recommended} (${chosen.toFixed(4)})`,
  );
  return notes;
}

/** The GBDT's out-of-fold scores against BG/NBD's holdout scores, as changes and as notes. */
function gbdtVersusBgnbd(
  bg: CountMetrics & PurchaseMetrics,
  gbdt: { count: CountMetrics; purchase: PurchaseMetrics },
): { gbdt_vs_bgnbd: Record<string, unknown>; notes: string[] } {
  const gc = gbdt.count;
  const gp = gbdt.purchase;
  const totalError = (m: CountMetrics) => percentChange(m.actual_total, m.predicted_total);
  return {
    gbdt_vs_bgnbd: {
      poisson_deviance_change_pct: round(
        percentChange(bg.poisson_deviance, gc.poisson_deviance),
        2,
      ),
      total_error_pct: { gbdt: round(totalError(gc), 2), bgnbd: round(totalError(bg), 2) },
      log_loss_change_pct: round(percentChange(bg.log_loss, gp.log_loss), 2),
      auc_difference: round(gp.auc - bg.auc, 4),
      mae_change_pct: round(percentChange(bg.mae, gc.mae), 2),
    },
    notes: [
      `GBDT count (out of fold) Poisson deviance ${gc.poisson_deviance.toFixed(4)} vs BG/NBD ${bg.poisson_deviance.toFixed(4)}`,
      `holdout total: actual ${count(bg.actual_total)}, GBDT ${count(gc.predicted_total)}, BG/NBD ${count(bg.predicted_total)}`,
      `P(any purchase): GBDT AUC ${gp.auc.toFixed(4)} / log loss ${gp.log_loss.toFixed(4)}, BG/NBD AUC ${bg.auc.toFixed(4)} / log loss ${bg.log_loss.toFixed(4)}`,
    ],
  };
}

/** A purchase count as the other lines print them: thousands separated, one decimal at most. */
const count = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 1 });

/**
 * Why the model was chosen, when the holdout deviance chose it among clean fits: its figure and the
 * other candidates', best first, and those left out for fit warnings. The CLI printed the GBDT vs
 * BG/NBD figures only, so a Pareto/NBD or blend recommendation came with no reason.
 */
function deviancesNote(input: RecommendationInput, recommended: RecommendedModel): string | null {
  const entries = Object.entries(candidateDeviances(input)) as [RecommendedModel, number][];
  const flagged = (m: RecommendedModel) =>
    (m === "bgnbd" || m === "pareto_nbd") && input.diagnostics[m].length > 0;
  const scored = entries.filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[1] - b[1]);
  const chosen = scored.find(([m]) => m === recommended);
  if (!chosen || flagged(recommended)) return null;
  const listed = (list: [RecommendedModel, number][]) =>
    list.map(([m, v]) => `${m} ${v.toFixed(4)}`).join(", ");
  const left = scored.filter(([m]) => flagged(m));
  const leftOut = left.length > 0 ? `; ${listed(left)} left out: fit warnings` : "";
  const clean = listed(scored.filter(([m]) => !flagged(m)));
  return `recommended ${recommended}: the lowest holdout Poisson deviance (${clean}${leftOut})`;
}

/** metrics.json's `comparison`: the recommended model, why, and GBDT vs BG/NBD when both scored. */
export function recommendModel(input: RecommendationInput): TrainingMetrics["comparison"] {
  const scored = pick(input);
  const why = scored.note === null ? deviancesNote(input, scored.recommended) : null;
  const notes: string[] = [
    ...(scored.note ? [scored.note] : []),
    ...(why ? [why] : []),
    ...thinEvaluationNotes(input, scored.recommended),
  ];
  const bg = input.holdout.bgnbd;
  const gbdt = input.holdout.gbdt;
  if (!bg || !gbdt) return { recommended: scored.recommended, notes };
  const versus = gbdtVersusBgnbd(bg, gbdt);
  return {
    recommended: scored.recommended,
    notes: [...notes, ...versus.notes],
    gbdt_vs_bgnbd: versus.gbdt_vs_bgnbd,
  };
}

/**
 * The recommendation of a bundle that serves no GBDT (so no blend either): the evaluation's, or,
 * when that was the GBDT or the blend, the best served model by the same holdout criterion (fit
 * warnings excluded), with a note saying why. Before, model.json and /model-info said "blend"
 * while every /forecast answer fell back to a BTYD model.
 */
export function servedRecommendation(
  metrics: Pick<TrainingMetrics, "comparison" | "models">,
): TrainingMetrics["comparison"] {
  const { comparison, models } = metrics;
  const was = comparison.recommended;
  if (was !== "gbdt" && was !== "blend") return comparison;
  const diagnostics: FitDiagnostics = {
    bgnbd: models.bgnbd.warnings,
    pareto_nbd: models.pareto_nbd.warnings,
    gamma_gamma: [],
    zeroSpendRepeatBuyers: 0,
  };
  const deviances = {
    bgnbd: models.bgnbd.holdout?.poisson_deviance ?? Number.POSITIVE_INFINITY,
    pareto_nbd: models.pareto_nbd.holdout?.poisson_deviance ?? Number.POSITIVE_INFINITY,
  };
  const byDeviance = Object.values(deviances).some(Number.isFinite);
  const likelihoods = {
    bgnbd: models.bgnbd.log_likelihood,
    pareto_nbd: models.pareto_nbd.log_likelihood,
  };
  const choice = byDeviance
    ? recommendUnflagged(deviances, false, diagnostics)
    : recommendUnflagged(likelihoods, true, diagnostics);
  const recommended = choice.recommended;
  const own =
    was === "blend"
      ? models.blend?.holdout.poisson_deviance
      : models.gbdt_count?.holdout.poisson_deviance;
  const figure = (v: number | null | undefined) => (typeof v === "number" ? v.toFixed(4) : "n/a");
  const note = `${was} scored best on the holdout (Poisson deviance ${figure(own)}) but the production bundle has no GBDT: recommended ${recommended} (${figure(deviances[recommended as "bgnbd" | "pareto_nbd"])}), the best of the models it serves`;
  return {
    ...comparison,
    recommended,
    notes: [...comparison.notes, ...(choice.note ? [choice.note] : []), note],
  };
}
