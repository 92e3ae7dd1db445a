// Acceptance: over 200 simulated campaigns with known uplift, the 95% intervals of incremental
// profit per action cover the true value in 93–97% of the intervals.
import { expect, test } from "bun:test";
import {
  decideCampaign,
  randomControl,
  runCampaignWindow,
  type SimulatedAction,
  simulateCampaignPopulation,
} from "./campaign-simulator.ts";
import { measureCampaign } from "./measure-campaign.ts";

/** Three actions with different true uplifts per P(alive) segment; the caller's guesses differ. */
export const COVERAGE_ACTIONS: SimulatedAction[] = [
  { id: "email", cost: 0.2, margin: 10, assumedUplift: 0.15, trueUplift: [0.05, 0.1, 0.2] },
  { id: "coupon", cost: 1.5, margin: 10, assumedUplift: 0.4, trueUplift: [0.2, 0.3, 0.25] },
  { id: "call", cost: 6, margin: 10, assumedUplift: 1.2, trueUplift: [0.3, 0.9, 0.8] },
];

test("95% intervals of incremental profit per action cover the truth in 93–97% of 200 campaigns", () => {
  const campaigns = 200;
  let intervals = 0;
  let covered = 0;
  const started = performance.now();
  for (let c = 0; c < campaigns; c++) {
    const pop = simulateCampaignPopulation({ customers: 4000, seed: 10_000 + c });
    const decision = decideCampaign(pop, COVERAGE_ACTIONS, {});
    const control = randomControl(pop.n, 0.3, 20_000 + c);
    const run = runCampaignWindow(pop, COVERAGE_ACTIONS, decision, control, 30_000 + c);
    const result = measureCampaign(run.observations, {
      campaign: `sim-${c}`,
      window: { start: "1997-10-01", end: "1997-12-30" },
    });
    result.actions.forEach((a, k) => {
      const truth = run.trueProfitPerCustomer[k]!;
      const ci = a.incremental_profit_per_customer;
      if (!Number.isFinite(ci.lower) || !Number.isFinite(truth)) return;
      intervals++;
      if (ci.lower <= truth && truth <= ci.upper) covered++;
    });
  }
  const coverage = covered / intervals;
  console.log(
    `coverage: ${covered}/${intervals} = ${(coverage * 100).toFixed(1)}% ` +
      `(${campaigns} campaigns × ${COVERAGE_ACTIONS.length} actions, seeds 10000+, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  expect(intervals).toBeGreaterThan(campaigns * 2.5);
  expect(coverage).toBeGreaterThanOrEqual(0.93);
  expect(coverage).toBeLessThanOrEqual(0.97);
}, 120_000);
