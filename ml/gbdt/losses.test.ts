// The boosting losses' fused pass (meanLossAndGradients, what boosting calls after each round)
// gives the very numbers of meanLoss and gradients called apart: the models must not change.
import { expect, test } from "bun:test";
import type { GbdtLoss } from "./gbdt-model.ts";
import { boostingLoss } from "./losses.ts";
import { makeSyntheticGbdtData } from "./synthetic-gbdt-data.ts";

const LOSSES: GbdtLoss[] = ["poisson", "logistic", "gamma", "squared"];

for (const name of LOSSES) {
  test(`${name}: meanLossAndGradients = meanLoss and gradients, to the bit`, () => {
    const { y, n } = makeSyntheticGbdtData(2000, 4, name, 3);
    const loss = boostingLoss(name);
    // Margins on both sides of 0 (the logistic loss branches there), some far out, and exact 0.
    const margin = Float64Array.from({ length: n }, (_, i) => ((i % 41) - 20) * 0.37 + (i % 7) * 3);
    margin[0] = 0;
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    loss.gradients(y, margin, grad, hess);
    const fusedGrad = new Float64Array(n).fill(Number.NaN);
    const fusedHess = new Float64Array(n).fill(Number.NaN);
    const fused = loss.meanLossAndGradients(y, margin, fusedGrad, fusedHess);
    expect(Object.is(fused, loss.meanLoss(y, margin))).toBe(true);
    expect(Buffer.from(fusedGrad.buffer).equals(Buffer.from(grad.buffer))).toBe(true);
    expect(Buffer.from(fusedHess.buffer).equals(Buffer.from(hess.buffer))).toBe(true);
  });
}
