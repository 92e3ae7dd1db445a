// Empirical-Bayes shrinkage when one action's prior is far off (a policy uplift of 5 where the
// campaign measures 0.1). τ² was the mean excess over every action, so that one action raised it to
// ~8 and every other action's noisy measurement was taken whole (weight 0.999): shrinkage was off.
// Now an action whose measurement rejects its prior (z² > 10.83, p < 0.001, against the τ² of the
// others) is left out of τ² and takes its own measurement; the others are shrunk as before.
import { expect, test } from "bun:test";
import type { Interval } from "@pp/shared/campaigns/campaign-result.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { shrinkTowardPrior } from "./learn-uplift.ts";

const m = (estimate: number, se: number): Interval => ({ estimate, se, lower: 0, upper: 0 });

test("one far-off prior no longer switches shrinkage off for the other actions", () => {
  const [email, coupon, call] = shrinkTowardPrior([
    { prior: 0.2, measured: m(0.25, 0.1) },
    { prior: 0.5, measured: m(0.3, 0.15) },
    { prior: 5, measured: m(0.1, 0.1) },
  ]);
  // Before: τ² = 8.02, weights 0.999 / 0.997; the noisy measurements taken whole.
  expect(email?.weight).toBeLessThan(0.5);
  expect(coupon?.weight).toBeLessThan(0.5);
  // The far-off prior itself gives way to the measurement, and its line says why.
  expect(call?.posterior).toBeCloseTo(0.1, 2);
  expect(call?.priorRejected).toBe(true);
  expect(email?.priorRejected).toBeUndefined();
});

function normal(r: Xoshiro128): number {
  const u = 1 - r.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.uniform());
}

/** Mean squared error of the learned uplifts against the truth over simulated campaigns. */
function simulatedMse(tau: number, badPriors: number, seed: number) {
  const r = new Xoshiro128(seed);
  let learned = 0;
  let measured = 0;
  let n = 0;
  for (let c = 0; c < 3000; c++) {
    const k = Math.max(badPriors + 1, 2 + Math.floor(r.uniform() * 4)); // 2–5 actions
    const truth: number[] = [];
    const items = Array.from({ length: k }, (_, j) => {
      const prior = 0.1 + 0.9 * r.uniform();
      const u = prior + tau * normal(r);
      const se = 0.02 + 0.28 * r.uniform();
      truth.push(u);
      return { prior: j < badPriors ? 5 : prior, measured: m(u + se * normal(r), se) };
    });
    shrinkTowardPrior(items).forEach((s, j) => {
      learned += (s.posterior - (truth[j] as number)) ** 2;
      measured += (s.measured - (truth[j] as number)) ** 2;
      n++;
    });
  }
  return { learned: learned / n, measured: measured / n };
}

// 3,000 campaigns of 2–5 actions per case; priors U(0.1, 1), true uplifts N(prior, τ²), standard
// errors U(0.02, 0.3). Before the fix, one bad prior made the learned uplifts no better than the raw
// measurements (MSE ratio 1.00); now 0.42–0.85. Without a bad prior it is within 1–4% of before.
test("simulated campaigns: learned uplifts beat the raw measurements with and without a bad prior", () => {
  for (const [tau, seed] of [
    [0.02, 1],
    [0.1, 2],
    [0.3, 3],
  ] as const) {
    const good = simulatedMse(tau, 0, seed);
    const oneBad = simulatedMse(tau, 1, seed + 10);
    const twoBad = simulatedMse(tau, 2, seed + 20);
    console.log(
      `τ=${tau}: MSE learned/measured no bad prior ${good.learned.toFixed(4)}/${good.measured.toFixed(4)}, ` +
        `one ${oneBad.learned.toFixed(4)}/${oneBad.measured.toFixed(4)}, two ${twoBad.learned.toFixed(4)}/${twoBad.measured.toFixed(4)}`,
    );
    expect(good.learned).toBeLessThan(0.85 * good.measured);
    expect(oneBad.learned).toBeLessThan(0.9 * oneBad.measured);
    expect(twoBad.learned).toBeLessThan(0.95 * twoBad.measured);
  }
});
