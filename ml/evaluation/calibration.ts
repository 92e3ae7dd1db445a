// Calibration of predictive count distributions on the holdout: coverage of each interval level and
// a PIT histogram. Counts are discrete, so the PIT is randomised (Czado, Gneiting & Held 2009): for
// actual y it is uniform on [F(y−1), F(y)], and we average over that randomisation exactly (no
// random draws). "coverage" is the randomised interval's coverage (nominal when calibrated);
// "interval_coverage" is that of the conservative integer interval served by the API (≥ nominal).

import { countInterval } from "../forecasting/count-interval.ts";
import type { CountPmf } from "../models/count-pmf.ts";

interface LevelCoverage {
  level: number;
  /** Share of customers inside the randomised central interval (nominal when calibrated). */
  coverage: number;
  /** Share inside the integer interval [lo, hi] the API serves (conservative, ≥ level). */
  interval_coverage: number;
  /** Mean hi − lo of the integer interval. */
  mean_width: number;
  /** Share of customers whose holdout spend is inside the spend interval, when scored. */
  spend_coverage?: number;
}

export interface CountCalibration {
  customers: number;
  levels: LevelCoverage[];
  /** Share of customers per PIT decile [0, 0.1), …, [0.9, 1]; flat at 0.1 when calibrated. */
  pit_histogram: number[];
}

/** F(y − 1) and F(y) of a PMF (mass beyond the support counted as the tail). */
function cdfAround(dist: CountPmf, y: number): [number, number] {
  let below = 0;
  const { pmf } = dist;
  const top = Math.min(y, pmf.length);
  for (let k = 0; k < top; k++) below += pmf[k]!;
  const at = y < pmf.length ? below + pmf[y]! : 1;
  return [Math.min(below, 1), Math.min(at, 1)];
}

/** Share of the uniform on [a, b] inside [lo, hi] (a point when a = b). */
function overlap(a: number, b: number, lo: number, hi: number): number {
  if (b - a < 1e-15) return a >= lo && a <= hi ? 1 : 0;
  return Math.max(0, Math.min(b, hi) - Math.max(a, lo)) / (b - a);
}

export function countCalibration(
  actual: ArrayLike<number>,
  pmfOf: (i: number) => CountPmf | null,
  levels: readonly number[],
  bins = 10,
): CountCalibration {
  const covered = new Float64Array(levels.length);
  const inInterval = new Float64Array(levels.length);
  const width = new Float64Array(levels.length);
  const histogram = new Float64Array(bins);
  let customers = 0;
  for (let i = 0; i < actual.length; i++) {
    const dist = pmfOf(i);
    if (!dist) continue;
    customers++;
    const y = actual[i]!;
    const [a, b] = cdfAround(dist, y);
    levels.forEach((level, l) => {
      const half = (1 - level) / 2;
      covered[l]! += overlap(a, b, half, 1 - half);
      const [lo, hi] = countInterval(dist, level);
      if (y >= lo && y <= hi) inInterval[l]!++;
      width[l]! += hi - lo;
    });
    for (let k = 0; k < bins; k++) histogram[k]! += overlap(a, b, k / bins, (k + 1) / bins);
  }
  const share = (v: number) => (customers > 0 ? v / customers : Number.NaN);
  return {
    customers,
    levels: levels.map((level, l) => ({
      level,
      coverage: share(covered[l]!),
      interval_coverage: share(inInterval[l]!),
      mean_width: share(width[l]!),
    })),
    pit_histogram: Array.from(histogram, share),
  };
}
