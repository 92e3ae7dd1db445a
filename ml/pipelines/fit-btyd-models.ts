// Step 1 of `trainModels`: the BTYD fits on (x, t_x, T), Gamma-Gamma on the repeat buyers' mean
// repeat spend, and their diagnostics as warnings and notes for metrics.json and the report.

import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { type BgNbdParams, fitBgNbd } from "../models/bgnbd.ts";
import { fitGammaGamma, type GammaGammaParams } from "../models/gamma-gamma.ts";
import { fitParetoNbd, type ParetoNbdParams } from "../models/pareto-nbd.ts";
import type { FitResult } from "../models/types.ts";
import { atShapeLimit, SHAPE_LIMIT } from "../training/maximum-likelihood.ts";
import { diagnoseFits, type FitDiagnostics } from "./fit-warnings.ts";
import type { StepLog } from "./step-log.ts";

export interface BtydFits {
  bgnbd: FitResult<BgNbdParams>;
  paretoNbd: FitResult<ParetoNbdParams>;
  gammaGamma: FitResult<GammaGammaParams> | null;
  diagnostics: FitDiagnostics;
  /** The fits' notes and warnings, in the order the run reports them. */
  notes: string[];
}

/** Gamma-Gamma needs this many repeat buyers with a positive mean repeat spend. */
export const MIN_GAMMA_GAMMA_BUYERS = 10;

function round(v: number, digits: number): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}

/** The training's warning for a fit that did not converge, saying why and what was kept. */
export function fitWarning(name: string, fit: FitResult<object>): string {
  const kept = `the best parameters found are used (log-likelihood ${round(fit.logLikelihood, 3)})`;
  switch (fit.stopped) {
    case "evaluations":
      return `${name} fit did not converge: stopped after ${fit.evaluations} likelihood evaluations; ${kept}`;
    case "time":
      return `${name} fit did not converge: stopped after ${round(fit.seconds, 1)} s; ${kept}`;
    case "domain-edge":
      return (
        `${name} fit did not converge: the likelihood still rises at the edge of the region where ` +
        `it can be evaluated; ${kept}`
      );
    case "shape-limit":
      return (
        `${name} fit did not converge: with ${shapesAtLimit(fit.params)} held at ` +
        `${SHAPE_LIMIT.toExponential(0)} (${HOMOGENEOUS_MEANING}), the others did not meet the ` +
        `gradient tolerance (gradient norm ${fit.gradientNorm.toPrecision(3)}); ${kept}`
      );
    default:
      return `${name} fit did not meet the gradient tolerance; ${kept}`;
  }
}

/**
 * What a converged fit with a shape held at SHAPE_LIMIT means: the homogeneous limit of the model
 * fits best, a sound reading of the log (the fit is used and can be recommended), said once.
 */
export function shapeLimitNote(name: string, fit: FitResult<object>): string | null {
  if (fit.stopped !== "shape-limit" || !fit.converged) return null;
  return (
    `${name}: the likelihood still rose past ${SHAPE_LIMIT.toExponential(0)} in ` +
    `${shapesAtLimit(fit.params)}, held there while the others were fitted: the data show no ` +
    `more heterogeneity than a homogeneous population (${HOMOGENEOUS_MEANING}); its forecasts ` +
    `are that limit's`
  );
}

const HOMOGENEOUS_MEANING =
  "r: one purchase rate for everyone; s, or a and b: one dropout rate; q: one mean spend";

function shapesAtLimit(params: object): string {
  const names = Object.entries(params)
    .filter(([name, value]) => atShapeLimit(name, value))
    .map(([name]) => name);
  return names.length > 0 ? names.join(", ") : "a shape parameter";
}

/** Repeat buyers with a positive mean repeat spend: the customers Gamma-Gamma is fitted on. */
export function countRepeatBuyersWithSpend(summaries: CustomerSummaries): number {
  let n = 0;
  summaries.x.forEach((x, i) => {
    if (x > 0 && (summaries.monetary[i] ?? 0) > 0) n++;
  });
  return n;
}

/** Fits the three BTYD models; warns (step log and notes) about flagged or unconverged fits. */
export async function fitBtydModels(
  summaries: CustomerSummaries,
  steps: StepLog,
): Promise<BtydFits> {
  const notes: string[] = [];
  const bgnbd = await steps.step("fit BG/NBD", () => fitBgNbd(summaries));
  const paretoNbd = await steps.step("fit Pareto/NBD", () => fitParetoNbd(summaries));
  // Gamma-Gamma needs a positive mean repeat spend ($0 repeat buyers get the population mean).
  const repeatBuyers = countRepeatBuyersWithSpend(summaries);
  let gammaGamma: FitResult<GammaGammaParams> | null = null;
  if (repeatBuyers >= MIN_GAMMA_GAMMA_BUYERS) {
    gammaGamma = await steps.step("fit Gamma-Gamma", () =>
      fitGammaGamma({ x: summaries.x, monetary: summaries.monetary }),
    );
  } else if (repeatBuyers === 0) {
    notes.push(
      "Gamma-Gamma not fitted: no repeat buyer has a spend > 0 (a log without amounts, or all $0): spend and CLV are not forecast",
    );
  } else {
    notes.push(`Gamma-Gamma not fitted: only ${repeatBuyers} repeat buyers with spend > 0`);
  }
  const diagnostics = diagnoseFits(summaries, bgnbd, paretoNbd, gammaGamma);
  if (diagnostics.zeroSpendRepeatBuyers > 0 && repeatBuyers > 0) {
    notes.push(
      `${diagnostics.zeroSpendRepeatBuyers} repeat buyers with mean repeat spend 0: left out of the Gamma-Gamma fit, predicted at its population mean`,
    );
  }
  for (const w of [...diagnostics.bgnbd, ...diagnostics.pareto_nbd, ...diagnostics.gamma_gamma]) {
    steps.warn(`fit warning: ${w}`);
    notes.push(`WARNING: ${w}`);
  }
  notes.push(...(diagnostics.notes ?? []));
  for (const [name, fit] of [
    ["BG/NBD", bgnbd],
    ["Pareto/NBD", paretoNbd],
  ] as const) {
    if (!fit.converged) {
      const warning = fitWarning(name, fit);
      steps.warn(warning);
      notes.push(warning);
    }
    const held = shapeLimitNote(name, fit);
    if (held) notes.push(held);
  }
  return { bgnbd, paretoNbd, gammaGamma, diagnostics, notes };
}
