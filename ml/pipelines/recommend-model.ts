// Step 4 of `trainModels`: which model to recommend (best out-of-fold Poisson deviance; without a
// holdout, the better BTYD log-likelihood; never a flagged fit), and the GBDT vs BG/NBD comparison.

import type { TrainingMetrics } from "../bundle/training-metrics.ts";
import type { CountMetrics, PurchaseMetrics } from "../evaluation/metrics.ts";
import type { BgNbdParams } from "../models/bgnbd.ts";
import type { ParetoNbdParams } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { type FitDiagnostics, recommendUnflagged } from "./fit-warnings.ts";

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
}

function round(v: number, digits: number): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}

/** Change of `b` relative to `a`, in percent (negative = lower). */
function percentChange(a: number, b: number): number {
  return ((b - a) / Math.abs(a)) * 100;
}

function pick(input: RecommendationInput): { recommended: RecommendedModel; note: string | null } {
  const { holdout, diagnostics } = input;
  const worst = Number.POSITIVE_INFINITY;
  const deviances: Record<RecommendedModel, number> = {
    blend: holdout.blend?.poisson_deviance ?? worst,
    gbdt: holdout.gbdt?.count.poisson_deviance ?? worst,
    bgnbd: holdout.bgnbd?.poisson_deviance ?? worst,
    pareto_nbd: holdout.pareto_nbd?.poisson_deviance ?? worst,
  };
  // A model with fit warnings is never recommended (fit-warnings.ts). One model's NaN deviance
  // (a degenerate fit's forecasts) must not send the choice to the likelihoods, where the GBDT
  // and the blend have none: it did, and Pareto/NBD at 3.19 was recommended over a GBDT at 1.14.
  if (Object.values(deviances).some(Number.isFinite))
    return recommendUnflagged(deviances, false, diagnostics);
  const likelihoods = {
    gbdt: Number.NEGATIVE_INFINITY,
    bgnbd: input.bgnbd.logLikelihood,
    pareto_nbd: input.paretoNbd.logLikelihood,
  };
  return recommendUnflagged(likelihoods, true, diagnostics);
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

/** metrics.json's `comparison`: the recommended model, why, and GBDT vs BG/NBD when both scored. */
export function recommendModel(input: RecommendationInput): TrainingMetrics["comparison"] {
  const scored = pick(input);
  const notes: string[] = scored.note ? [scored.note] : [];
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
