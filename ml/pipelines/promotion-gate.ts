// The promotion gate of `ml train --promote-if-better`: a new version becomes production only if
// its recommended model's Poisson deviance on the evaluation split is not worse than the current
// production version's on the same split, within a relative tolerance.

import type { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import { type EvaluationSection, EvaluationSectionSchema } from "../bundle/training-metrics.ts";

/**
 * Relative tolerance: the candidate passes when deviance_new ≤ deviance_production × (1 + 0.5%).
 * Retraining the same recipe on the same split moves the deviance by far less (the GBDT is seeded),
 * while a real regression is larger than that; a tie therefore promotes the fresher data.
 */
export const PROMOTION_TOLERANCE = 0.005;

export interface GateDecision {
  promote: boolean;
  reason: string;
  production: { version: number; deviance: number | null } | null;
}

function sameSplit(a: EvaluationSection["split"], b: EvaluationSection["split"]): string | null {
  for (const key of ["calibration_end", "holdout_end", "time_unit", "customers"] as const) {
    if (a[key] !== b[key]) return `${key} ${String(b[key])} vs ${String(a[key])}`;
  }
  if (Math.abs(a.holdout_length - b.holdout_length) > 1e-9) return "holdout_length differs";
  return null;
}

/** The evaluation section of a version's metrics.json, or null (older versions have none). */
async function evaluationOf(
  registry: ModelRegistry,
  version: Parameters<ModelRegistry["loadArtifact"]>[0],
): Promise<EvaluationSection | null> {
  const bytes = await registry.loadArtifact(version, BUNDLE_FILES.metrics);
  const parsed = EvaluationSectionSchema.safeParse(
    JSON.parse(new TextDecoder().decode(bytes)).evaluation,
  );
  return parsed.success ? parsed.data : null;
}

/** Decides whether `candidate` (the new version's evaluation) may replace production of `name`. */
export async function promotionDecision(
  registry: ModelRegistry,
  name: string,
  candidate: EvaluationSection,
): Promise<GateDecision> {
  const current = await registry.getProductionVersion(name);
  if (!current) {
    return { promote: true, reason: `${name} has no production version yet`, production: null };
  }
  const label = `production v${current.version}`;
  const mine = candidate.recommended_poisson_deviance;
  if (mine === null) {
    return {
      promote: false,
      reason: `the new version has no holdout deviance (no holdout period) to compare with ${label}; promote by hand with \`ml promote\``,
      production: { version: current.version, deviance: null },
    };
  }
  const theirs = await evaluationOf(registry, current);
  if (!theirs || theirs.recommended_poisson_deviance === null) {
    return {
      promote: false,
      reason: `${label} has no recorded evaluation deviance to compare with; promote by hand with \`ml promote\``,
      production: { version: current.version, deviance: null },
    };
  }
  const other = theirs.recommended_poisson_deviance;
  const production = { version: current.version, deviance: other };
  const differs = sameSplit(theirs.split, candidate.split);
  if (differs) {
    return {
      promote: false,
      reason: `${label} was evaluated on another split (${differs}): deviances are not comparable; train with the same --calibration-end/--holdout-end or promote by hand`,
      production,
    };
  }
  const limit = other * (1 + PROMOTION_TOLERANCE);
  const figures = `Poisson deviance ${mine.toFixed(4)} (${candidate.recommended}) vs ${other.toFixed(4)} (${theirs.recommended}) of ${label}, tolerance ${(PROMOTION_TOLERANCE * 100).toFixed(1)}%`;
  return mine <= limit
    ? { promote: true, reason: `not worse: ${figures}`, production }
    : { promote: false, reason: `worse: ${figures}`, production };
}
