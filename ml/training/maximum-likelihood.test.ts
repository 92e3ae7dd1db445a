// fitByMaximumLikelihood on a likelihood whose maximum is known in closed form.
import { expect, test } from "bun:test";
import { fitByMaximumLikelihood } from "./maximum-likelihood.ts";
import type { Objective } from "./optimizer.ts";

// Two independent exponential samples (n_i waiting times summing to S_i): MLE λ_i = n_i/S_i with
// standard error λ_i/√n_i. The fit stops when a Newton step would gain < 1e-7 in log-likelihood,
// i.e. within ~5e-4 standard errors, so it is checked to 1e-3 standard errors.
const n1 = 40;
const s1 = 13.7;
const n2 = 250;
const s2 = 812.5;
const negLogLikelihood: Objective = (theta, gradient) => {
  const l1 = Math.exp(theta[0]!);
  const l2 = Math.exp(theta[1]!);
  if (gradient) {
    gradient[0] = -(n1 - l1 * s1);
    gradient[1] = -(n2 - l2 * s2);
  }
  return -(n1 * theta[0]! - l1 * s1 + n2 * theta[1]! - l2 * s2);
};

function expectWithinStandardErrors(estimate: number, n: number, total: number): void {
  const mle = n / total;
  expect(Math.abs(estimate - mle)).toBeLessThan((1e-3 * mle) / Math.sqrt(n));
}

test("finds the closed-form maximum and names the parameters", () => {
  const fit = fitByMaximumLikelihood(
    ["fast", "slow"],
    negLogLikelihood,
    { customers: n1 + n2, rows: 7 },
    [
      [1, 1],
      [0.1, 10],
    ],
  );
  expectWithinStandardErrors(fit.params.fast, n1, s1);
  expectWithinStandardErrors(fit.params.slow, n2, s2);
  const best = n1 * Math.log(n1 / s1) - n1 + n2 * Math.log(n2 / s2) - n2;
  expect(Math.abs(fit.logLikelihood - best)).toBeLessThan(1e-6);
  expect(fit.converged).toBe(true);
  expect(fit.starts).toBe(2);
  expect(fit.startsAgreeing).toBe(2);
  expect(fit.customers).toBe(n1 + n2);
  expect(fit.rows).toBe(7);
  expect(fit.evaluations).toBeGreaterThan(0);
  expect(fit.seconds).toBeGreaterThanOrEqual(0);
});

test("options.starts replace the default starts", () => {
  const fit = fitByMaximumLikelihood(
    ["fast", "slow"],
    negLogLikelihood,
    { customers: 1, rows: 1 },
    [[1, 1]],
    {
      starts: [
        [2, 0.2],
        [5, 5],
        [0.5, 0.05],
      ],
    },
  );
  expect(fit.starts).toBe(3);
  expectWithinStandardErrors(fit.params.fast, n1, s1);
});
