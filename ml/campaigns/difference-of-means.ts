// Difference of two means with a 95% interval, Welch style: se = sqrt(s₁²/n₁ + s₀²/n₀) with the
// unbiased sample variances, interval = difference ± 1.96·se (normal quantile: the arms of a
// campaign hold hundreds of customers, where Welch's t and the normal agree to < 0.5 %).
import type { Interval } from "@pp/shared/campaigns/campaign-result.ts";

export const Z_95 = 1.959963984540054;

/** Running sums of one arm (count, sum, sum of squares). */
export class ArmSums {
  n = 0;
  sum = 0;
  sumSq = 0;

  add(value: number): void {
    this.n++;
    this.sum += value;
    this.sumSq += value * value;
  }

  get mean(): number {
    return this.n > 0 ? this.sum / this.n : Number.NaN;
  }

  /** Unbiased sample variance (NaN below two values). */
  get variance(): number {
    if (this.n < 2) return Number.NaN;
    return Math.max(0, (this.sumSq - (this.sum * this.sum) / this.n) / (this.n - 1));
  }
}

/** mean(treated) − mean(control), with its Welch standard error and normal 95% interval. */
export function differenceOfMeans(treated: ArmSums, control: ArmSums): Interval {
  const estimate = treated.mean - control.mean;
  const se = Math.sqrt(treated.variance / treated.n + control.variance / control.n);
  return { estimate, se, lower: estimate - Z_95 * se, upper: estimate + Z_95 * se };
}

/** An interval multiplied by a constant (e.g. per customer → total). */
export function scaleInterval(x: Interval, factor: number): Interval {
  const a = x.lower * factor;
  const b = x.upper * factor;
  return {
    estimate: x.estimate * factor,
    se: x.se * Math.abs(factor),
    lower: Math.min(a, b),
    upper: Math.max(a, b),
  };
}
