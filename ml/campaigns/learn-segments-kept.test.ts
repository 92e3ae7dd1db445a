// A policy's per-P(alive) uplifts learned from a large campaign were dropped by the next, smaller
// campaign: learn replaced the action's whole entry, and a segment with fewer than 200 customers in
// an arm (or every segment, when fewer than two qualified) lost its uplift without a word, its
// customers falling back to the action's overall uplift. Now a segment not measured keeps its uplift.
import { expect, test } from "bun:test";
import type { CampaignResult, Interval } from "@pp/shared/campaigns/campaign-result.ts";
import { newPolicyDefinitionSchema } from "@pp/shared/policy/policy-definition.ts";
import { describeChange, learnUplifts, proposePolicy } from "./learn-uplift.ts";

const m = (estimate: number, se: number): Interval => ({ estimate, se, lower: 0, upper: 0 });
const POLICY = newPolicyDefinitionSchema.parse({
  uplifts: {
    email: {
      uplift: 0.2,
      by_p_alive: [
        { min: 0, max: 0.3, uplift: 0.05 },
        { min: 0.3, max: 0.7, uplift: 0.2 },
        { min: 0.7, max: 1, uplift: 0.4 },
      ],
    },
  },
});

function campaign(segmentArms: readonly number[]): CampaignResult {
  const names = ["p_alive<0.3", "0.3≤p_alive<0.7", "p_alive≥0.7"];
  const bounds = [0, 0.3, 0.7, 1];
  const segments = segmentArms.map((n, k) => ({
    segment: names[k] as string,
    min_p_alive: bounds[k] as number,
    max_p_alive: bounds[k + 1] as number,
    treated: n,
    control: n,
    incremental_profit_per_customer: m(0, 1),
    measured_uplift: m(0.1 + 0.1 * k, 0.05),
  }));
  const action = {
    action: "email",
    treated: { customers: 1000 },
    control: { customers: 1000 },
    assumed_uplift: 0.2,
    measured_uplift: m(0.25, 0.04),
    segments,
  };
  return { actions: [action] } as unknown as CampaignResult;
}

test("segments too small to measure keep their uplifts, and the change says so", () => {
  // Only the first two segments have ≥ 200 customers in each arm.
  const learned = learnUplifts(campaign([400, 400, 50]), POLICY);
  const proposed = proposePolicy(POLICY, learned, {
    campaign: "c",
    window_end: "1997-12-31",
    reported_at: "1998-01-02T00:00:00.000Z",
  });
  const segs = proposed.uplifts?.email?.by_p_alive ?? [];
  expect(segs.map((s) => [s.min, s.max])).toEqual([
    [0, 0.3],
    [0.3, 0.7],
    [0.7, 1],
  ]);
  expect(segs[2]?.uplift).toBe(0.4);
  expect(describeChange(learned)).toContain(
    "  p_alive≥0.7: 0.400 kept (not measured: fewer than 200 customers in an arm)",
  );
});

test("no segment measurable: the policy's segments are kept as they were", () => {
  const learned = learnUplifts(campaign([100, 100, 100]), POLICY);
  const proposed = proposePolicy(POLICY, learned, {
    campaign: "c",
    window_end: "1997-12-31",
    reported_at: "1998-01-02T00:00:00.000Z",
  });
  expect(proposed.uplifts?.email?.by_p_alive).toEqual(POLICY.uplifts?.email?.by_p_alive);
  expect(newPolicyDefinitionSchema.safeParse(proposed).success).toBe(true);
});
