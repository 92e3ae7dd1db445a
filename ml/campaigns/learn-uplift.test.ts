// Acceptance: on a fresh simulated campaign, the policy `learn` proposes from a measured campaign
// earns more realised profit than the starting policy whose uplifts were off by ×2.
import { expect, test } from "bun:test";
import type { Interval } from "@pp/shared/campaigns/campaign-result.ts";
import { newPolicyDefinitionSchema } from "@pp/shared/policy/policy-definition.ts";
import { realisedProfit } from "./campaign-observations.ts";
import {
  type CampaignPolicy,
  decideCampaign,
  randomControl,
  runCampaignWindow,
  type SimulatedAction,
  simulateCampaignPopulation,
  trueIncrementalProfit,
} from "./campaign-simulator.ts";
import {
  changesUplifts,
  learnUplifts,
  proposePolicy,
  shrinkTowardPrior,
  ZERO_SE,
} from "./learn-uplift.ts";
import { measureCampaign } from "./measure-campaign.ts";

const ACTIONS: SimulatedAction[] = [
  { id: "email", cost: 0.2, margin: 10, assumedUplift: 0.2, trueUplift: [0.05, 0.1, 0.15] },
  { id: "coupon", cost: 1.5, margin: 10, assumedUplift: 0.5, trueUplift: [0.15, 0.3, 0.25] },
  { id: "call", cost: 6, margin: 10, assumedUplift: 1.2, trueUplift: [0.2, 0.7, 0.6] },
];
/** The starting policy: every uplift twice the truth (averaged over segments). */
const START = newPolicyDefinitionSchema.parse({
  uplifts: { email: { uplift: 0.2 }, coupon: { uplift: 0.5 }, call: { uplift: 1.2 } },
});

/** Realised profit (margin × purchases − cost, everyone) and the expected incremental profit. */
function outcome(policy: CampaignPolicy, seed: number): { realised: number; expected: number } {
  const pop = simulateCampaignPopulation({ customers: 20_000, seed });
  const decision = decideCampaign(pop, ACTIONS, policy);
  const run = runCampaignWindow(pop, ACTIONS, decision, new Uint8Array(pop.n), seed + 1);
  let realised = 0;
  for (let i = 0; i < pop.n; i++) realised += realisedProfit(run.observations, i);
  return { realised, expected: trueIncrementalProfit(pop, ACTIONS, decision) };
}

test("shrinkage: a precise measurement moves the prior, a noisy one barely", () => {
  const m = (estimate: number, se: number): Interval => ({ estimate, se, lower: 0, upper: 0 });
  const [precise, noisy] = shrinkTowardPrior([
    { prior: 0.2, measured: m(0.1, 0.005) },
    { prior: 0.5, measured: m(0.9, 2) },
  ]);
  expect(precise?.posterior).toBeCloseTo(0.1, 2);
  expect(noisy?.weight).toBeLessThan(0.05);
  expect(Math.abs((noisy?.posterior as number) - 0.5)).toBeLessThan(0.05);
});

test("shrinkage: a zero standard error is not weighed, says why, and changes nothing", () => {
  const m = (estimate: number, se: number): Interval => ({ estimate, se, lower: 0, upper: 0 });
  const [alike, precise] = shrinkTowardPrior([
    { prior: 0.15, measured: m(0.39, 0) },
    { prior: 0.5, measured: m(0.3, 0.005) },
  ]);
  expect(alike).toMatchObject({ weight: 0, posterior: 0.15, ignored: ZERO_SE });
  expect(precise?.ignored).toBeUndefined();
  const learned = (overall: typeof alike) => [
    { action: "email", overall: overall as NonNullable<typeof alike>, segments: [] },
  ];
  expect(changesUplifts(learned(alike))).toBe(false);
  expect(changesUplifts(learned(precise))).toBe(true);
});

test("learn's policy beats the ×2-off starting policy on a fresh campaign (seed 7, margin 10/purchase)", () => {
  // Campaign 1 under the starting policy, 30% held out; measure; learn.
  const pop = simulateCampaignPopulation({ customers: 40_000, seed: 5 });
  const decision = decideCampaign(pop, ACTIONS, START);
  const run = runCampaignWindow(pop, ACTIONS, decision, randomControl(pop.n, 0.3, 6), 6);
  const result = measureCampaign(run.observations, {
    campaign: "learn-1",
    window: { start: "1997-10-01", end: "1997-12-30" },
  });
  const learned = learnUplifts(result, START);
  const proposed = newPolicyDefinitionSchema.parse(
    proposePolicy(START, learned, {
      campaign: "learn-1",
      window_end: "1997-12-31",
      reported_at: "1998-01-02T00:00:00.000Z",
    }),
  );
  // Fresh population (seed 7): the same customers under both policies, no control group.
  const start = outcome(START, 7);
  const learnedOutcome = outcome(proposed, 7);
  console.log(
    `20,000 fresh customers (seed 7): realised profit starting ${start.realised.toFixed(0)}, ` +
      `learned ${learnedOutcome.realised.toFixed(0)} (+${(learnedOutcome.realised - start.realised).toFixed(0)}); ` +
      `expected incremental profit starting ${start.expected.toFixed(0)}, learned ${learnedOutcome.expected.toFixed(0)}; ` +
      `uplifts ${learned.map((l) => `${l.action} ${l.overall.prior} → ${l.overall.posterior.toFixed(3)}`).join(", ")}`,
  );
  // The margin: at least 500 more realised profit (2.5 cents a customer), and more expected.
  expect(learnedOutcome.realised - start.realised).toBeGreaterThan(500);
  expect(learnedOutcome.expected).toBeGreaterThan(start.expected);
}, 60_000);
