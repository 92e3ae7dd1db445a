import { expect, test } from "bun:test";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleGamma } from "../sim/samplers.ts";
import { fitDispersion, negativeBinomialMeanPmf } from "./negative-binomial.ts";

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
