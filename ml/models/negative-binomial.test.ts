import { expect, test } from "bun:test";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleGamma } from "../sim/samplers.ts";
import {
  fitDispersion,
  hurdleNegativeBinomialPmf,
  meanForTruncatedMean,
  negativeBinomialMeanPmf,
  negativeBinomialZero,
} from "./negative-binomial.ts";
import { gammaln } from "./special-functions.ts";

function poisson(rng: Xoshiro128, mu: number): number {
  let k = 0;
  let t = -Math.log(rng.uniform());
  while (t < mu) {
    k++;
    t -= Math.log(rng.uniform());
  }
  return k;
}

test("the NB PMF has mean μ and variance μ + φμ²; φ = 0 is Poisson", () => {
  for (const [mu, phi] of [
    [0.3, 1.7],
    [4, 0.5],
    [2, 0],
  ] as const) {
    const { pmf, tail } = negativeBinomialMeanPmf(mu, phi, 400);
    expect(tail).toBeLessThan(1e-9);
    let m = 0;
    let v = 0;
    pmf.forEach((p, k) => {
      m += k * p;
    });
    pmf.forEach((p, k) => {
      v += (k - m) ** 2 * p;
    });
    expect(m).toBeCloseTo(mu, 8);
    expect(v).toBeCloseTo(mu + phi * mu * mu, 6);
  }
});

test("fitDispersion recovers φ from simulated NB counts and gives ~0 for Poisson counts", () => {
  const rng = new Xoshiro128(9);
  const n = 50_000;
  const mean = Float64Array.from({ length: n }, () => 0.2 + 3 * rng.uniform());
  const phi = 0.8;
  const nb = Float64Array.from(mean, (mu) => poisson(rng, mu * sampleGamma(rng, 1 / phi, 1) * phi));
  expect(Math.abs(fitDispersion(nb, mean) - phi)).toBeLessThan(0.05);
  const pois = Float64Array.from(mean, (mu) => poisson(rng, mu));
  expect(fitDispersion(pois, mean)).toBeLessThan(0.02);
});

test("a Poisson PMF with a mean past e^(−μ)'s range sums to 1 around μ (was all zeros past μ ≈ 745)", () => {
  // A mean-only forecast (GBDT, blend) whose dispersion fitted 0, for a heavy daily buyer over
  // five years: e^(−800) is 0 in double precision, so every P(X = k) was 0 and the interval
  // [K, unbounded] started at its support's end (1,570 for a forecast of 800).
  for (const mu of [700.5, 800, 1826, 5000]) {
    const { pmf, tail } = negativeBinomialMeanPmf(mu, 0, Math.ceil(mu + 20 * Math.sqrt(mu)));
    expect(tail).toBeLessThan(1e-12);
    let mean = 0;
    pmf.forEach((p, k) => {
      mean += k * p;
      // Each term against its direct evaluation e^(k ln μ − μ − ln k!).
      const direct = Math.exp(k * Math.log(mu) - mu - gammaln(k + 1));
      expect(Math.abs(p - direct)).toBeLessThanOrEqual(1e-9 * direct);
    });
    expect(Math.abs(mean / mu - 1)).toBeLessThan(1e-10);
  }
});

test("the hurdle PMF has P(0) = 1 − p and mean E[X], its positive part a zero-truncated NB", () => {
  for (const [p, mean, phi] of [
    [0.3, 0.45, 1.63],
    [0.528, 2.4, 0.8],
    [0.9, 30, 0.05],
    [0.05, 0.0500001, 1.5],
    [0.2, 0.7, 0],
    [0.999, 12, 14],
  ] as const) {
    const { pmf, tail } = hurdleNegativeBinomialPmf(p, mean, phi, 4000);
    expect(tail).toBeLessThan(1e-9);
    expect(Math.abs(1 - (pmf[0] as number) - p)).toBeLessThan(1e-12);
    const m = pmf.reduce((s, q, k) => s + k * q, 0);
    expect(Math.abs(m - mean) / mean).toBeLessThan(1e-7);
    // Given X ≥ 1: the NB of mean μ with its zero removed, in the same proportions.
    const mu = meanForTruncatedMean(mean / p, phi);
    const nb = negativeBinomialMeanPmf(mu, phi, 4000).pmf;
    const ratio = (pmf[1] as number) / (nb[1] as number);
    const scale = p / (1 - negativeBinomialZero(mu, phi));
    expect(Math.abs(ratio / scale - 1)).toBeLessThan(1e-6);
    expect(Math.abs((pmf[3] as number) / (nb[3] as number) / ratio - 1)).toBeLessThan(1e-9);
  }
});

test("a mean below P(purchase) (impossible for a count) gives X | X ≥ 1 = 1: P(0) kept, mean p", () => {
  const { pmf, tail } = hurdleNegativeBinomialPmf(0.4, 0.3, 1.2, 50);
  expect(Array.from(pmf.subarray(0, 3))).toEqual([0.6, 0.4, 0]);
  expect(tail).toBe(0);
  expect(hurdleNegativeBinomialPmf(0, 0.2, 1.2, 50).pmf[0]).toBe(1);
});
