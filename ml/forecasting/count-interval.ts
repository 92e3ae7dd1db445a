// Equal-tailed intervals of a discrete count distribution, and how ties are handled: the interval
// [lo, hi] is the conservative integer set with P(X < lo) ≤ α/2 and P(X > hi) ≤ α/2, so it covers at
// least the nominal level. Calibration is measured with the randomised PIT instead (see
// ml/evaluation/calibration.ts), whose central share is exactly nominal for a calibrated forecast.

import type { CountPmf } from "../models/count-pmf.ts";

/**
 * [lo, hi] of the level-`level` equal-tailed set; when the mass beyond the PMF's support is too
 * large to place hi, hi is Infinity (unknown, served as null) and lo is at most K.
 */
export function countInterval(dist: CountPmf, level: number): [number, number] {
  const half = (1 - level) / 2;
  const { pmf } = dist;
  let cdf = 0;
  let lo = -1;
  for (let k = 0; k < pmf.length; k++) {
    cdf += pmf[k]!;
    if (lo < 0 && cdf > half) lo = k;
    if (cdf >= 1 - half - 1e-12) return [lo < 0 ? k : lo, k];
  }
  return [lo < 0 ? pmf.length : lo, Number.POSITIVE_INFINITY];
}

/** The PMF mixed over parameter draws: the mean of the draws' PMFs (all of length K). */
export function mixPmfs(parts: readonly CountPmf[]): CountPmf {
  const [first] = parts;
  if (!first) throw new RangeError("mixPmfs: no PMF to mix");
  if (parts.length === 1) return first;
  const K = first.pmf.length;
  const pmf = new Float64Array(K);
  let tail = 0;
  for (const part of parts) {
    for (let k = 0; k < K; k++) pmf[k]! += part.pmf[k]! / parts.length;
    tail += part.tail / parts.length;
  }
  return { pmf, tail };
}

/** Draws k from the PMF by inversion of the uniform u (the tail maps to K). */
export function sampleCount(dist: CountPmf, u: number): number {
  let cdf = 0;
  const { pmf } = dist;
  for (let k = 0; k < pmf.length; k++) {
    cdf += pmf[k]!;
    if (u < cdf) return k;
  }
  return pmf.length;
}
