// Synthetic customer-like features with a known signal, for tests and benchmarks of the learner
// until the simulator (ml/sim) feeds real feature vectors. Seeded, so runs are reproducible.

import { createSeededRandom } from "../random/seeded-random.ts";
import type { GbdtLoss } from "./gbdt-model.ts";

export interface SyntheticGbdtData {
  /** Row-major n×p features. */
  X: Float32Array;
  y: Float64Array;
  /** The true mean (or probability) of y for each row. */
  truth: Float64Array;
  featureNames: string[];
  n: number;
  p: number;
}

/**
 * Rows with p >= 4 features: x0 uniform(-1, 1), x1 normal, x2 a count 0..20, x3 a 0/1 flag,
 * the rest noise. The log-mean (or logit) is 0.5·x0 − 0.3·x1 + 0.05·x2 + 0.4·x3 − 0.2, and y is
 * Poisson, Bernoulli, Gamma (shape 2) or Normal(σ 0.5) around it by loss.
 */
export function makeSyntheticGbdtData(
  n: number,
  p: number,
  loss: GbdtLoss,
  seed = 1,
): SyntheticGbdtData {
  if (p < 4) throw new RangeError(`p must be >= 4, got ${p}`);
  const random = createSeededRandom(seed);
  const normal = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const X = new Float32Array(n * p);
  const y = new Float64Array(n);
  const truth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    X[o] = random() * 2 - 1;
    X[o + 1] = normal();
    X[o + 2] = Math.floor(random() * 21);
    X[o + 3] = random() < 0.3 ? 1 : 0;
    for (let f = 4; f < p; f++) X[o + f] = f % 2 === 0 ? random() : normal();
    const eta = 0.5 * X[o] - 0.3 * X[o + 1]! + 0.05 * X[o + 2]! + 0.4 * X[o + 3]! - 0.2;
    switch (loss) {
      case "poisson": {
        const mu = Math.exp(eta);
        truth[i] = mu;
        y[i] = samplePoisson(mu, random);
        break;
      }
      case "logistic": {
        const prob = 1 / (1 + Math.exp(-eta));
        truth[i] = prob;
        y[i] = random() < prob ? 1 : 0;
        break;
      }
      case "gamma": {
        const mu = Math.exp(eta);
        truth[i] = mu;
        y[i] = (sampleGamma(2, random, normal) * mu) / 2;
        break;
      }
      case "squared":
        truth[i] = eta;
        y[i] = eta + 0.5 * normal();
        break;
    }
  }
  const featureNames = Array.from({ length: p }, (_, f) => `x${f}`);
  return { X, y, truth, featureNames, n, p };
}

/** Poisson draw by inversion (means here are small). */
function samplePoisson(mu: number, random: () => number): number {
  const u = random();
  let k = 0;
  let prob = Math.exp(-mu);
  let cdf = prob;
  while (u > cdf && k < 1000) {
    k++;
    prob *= mu / k;
    cdf += prob;
  }
  return k;
}

/** Gamma(shape, 1) draw by Marsaglia and Tsang (shape >= 1). */
function sampleGamma(shape: number, random: () => number, normal: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = random();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}
