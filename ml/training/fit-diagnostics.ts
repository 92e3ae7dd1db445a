// Readable warnings about a maximum-likelihood fit that should not be trusted: it did not
// converge, a parameter ran off to the edge of its space (the optimizer works on log-parameters,
// so "at a bound" means absurdly large or small), or the likelihood is flat (infinite standard
// error). A flagged model is reported, never recommended.

import type { FitResult } from "../models/types.ts";
import { atShapeLimit } from "./maximum-likelihood.ts";

/**
 * Parameters below this are taken as degenerate (the fit ran off towards 0). Above, only shapes
 * at SHAPE_LIMIT are (atShapeLimit; reaching it is enough, a fit holds a shape there): a scale is
 * in the shop's units (gamma is a money amount, millions in dong or rupiah), and in a homogeneous
 * limit its shape runs off with it.
 */
const DEGENERATE_BELOW = 1e-6;

/**
 * Warnings for one fit. `standardErrors` (natural scale, same keys as the parameters) is optional:
 * a non-finite one means the information matrix is singular there. `allowShapeLimit`: a shape
 * held at SHAPE_LIMIT is the homogeneous limit's sound fit, said as a note by the caller (the BTYD
 * purchase models), not a degenerate one.
 */
export function fitWarnings<P extends object>(
  model: string,
  fit: Pick<FitResult<P>, "params" | "converged" | "gradientNorm">,
  standardErrors?: Partial<Record<keyof P, number>> | null,
  options: { allowShapeLimit?: boolean } = {},
): string[] {
  const warnings: string[] = [];
  if (!fit.converged) {
    warnings.push(
      `${model}: the fit did not converge (gradient norm ${fit.gradientNorm.toPrecision(3)})`,
    );
  }
  for (const [name, value] of Object.entries(fit.params) as [string, number][]) {
    if (!Number.isFinite(value)) {
      warnings.push(`${model}: parameter ${name} = ${value} is not finite`);
    } else if (atShapeLimit(name, value)) {
      if (options.allowShapeLimit) continue;
      warnings.push(
        `${model}: parameter ${name} = ${value.toPrecision(3)} is at the upper bound (>= 1e6): degenerate fit`,
      );
    } else if (value < DEGENERATE_BELOW) {
      warnings.push(
        `${model}: parameter ${name} = ${value.toPrecision(3)} is at the lower bound (< 1e-6): degenerate fit`,
      );
    }
  }
  if (standardErrors) {
    for (const [name, se] of Object.entries(standardErrors) as [string, number][]) {
      if (!Number.isFinite(se)) {
        warnings.push(
          `${model}: parameter ${name} has an infinite standard error (flat likelihood): not identified`,
        );
      }
    }
  }
  return warnings;
}

/** Standard errors, or null when computing them throws (they are only a diagnostic). */
export function tryStandardErrors<P>(compute: () => P): P | null {
  try {
    return compute();
  } catch {
    return null;
  }
}
