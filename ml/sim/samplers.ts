// Random variates the purchase-process simulators need: exponential, normal, gamma
// (Marsaglia–Tsang), beta and Bernoulli, all driven by the seeded Xoshiro128. Runtime-neutral.

import type { Xoshiro128 } from "../random/seeded-random.ts";

/** Exponential with the given rate (mean 1 / rate). */
export function sampleExponential(rng: Xoshiro128, rate: number): number {
  return -Math.log(rng.uniform()) / rate;
}

/** Standard normal by the Marsaglia polar method (one of each pair is discarded for simplicity). */
export function sampleStandardNormal(rng: Xoshiro128): number {
  for (;;) {
    const u = 2 * rng.uniform() - 1;
    const v = 2 * rng.uniform() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/**
 * Gamma with the given shape and rate (mean shape / rate), by Marsaglia & Tsang (2000); shapes
 * below 1 use the boost Gamma(k) = Gamma(k + 1) · U^(1/k).
 */
export function sampleGamma(rng: Xoshiro128, shape: number, rate: number): number {
  if (shape < 1) {
    const g = sampleGamma(rng, shape + 1, rate);
    return g * rng.uniform() ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleStandardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return (d * v) / rate;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Xoshiro128, a: number, b: number): number {
  const x = sampleGamma(rng, a, 1);
  const y = sampleGamma(rng, b, 1);
  const total = x + y;
  // Both can underflow to 0 for tiny shapes; then the beta mass sits at the ends.
  if (total === 0) return rng.uniform() < a / (a + b) ? 1 : 0;
  return x / total;
}
