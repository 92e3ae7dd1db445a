// The report and learn on explored rows: a greedy policy that emails everyone never measures
// call; with an exploration share the report's inverse-propensity estimate measures it on the
// explored rows (counted), and learn weighs that estimate.
import { expect, test } from "bun:test";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { emptyObservations } from "./campaign-observations.ts";
import { byExploredEstimates, learnUplifts } from "./learn-uplift.ts";
import { measureCampaign } from "./measure-campaign.ts";

/** Knuth's Poisson draw (small means). */
function poisson(rng: Xoshiro128, mean: number): number {
  const limit = Math.exp(-mean);
  let [k, p] = [0, rng.uniform()];
  while (p > limit) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

/** 8,000 customers, 30% control; email (true uplift 0.1) is greedy; ε = 0.2 explores call (0.6). */
function observations(share: number) {
  const rng = new Xoshiro128(11);
  const n = 8000;
  const o = emptyObservations(n, ["call", "email"]);
  o.exploration = {
    explored: new Uint8Array(n),
    propensity: new Float64Array(n).fill(Number.NaN),
    eligible: Array.from({ length: n }, () => [0, 1]),
  };
  const uplift = [0.6, 0.1];
  for (let i = 0; i < n; i++) {
    const base = 0.5 + rng.uniform(); // expected purchases, what the uplift multiplies
    const treated = rng.uniform() >= 0.3;
    const explored = treated && rng.uniform() < share;
    const k = explored ? (rng.uniform() < 0.5 ? 0 : 1) : 1;
    o.treated[i] = treated ? 1 : 0;
    o.action[i] = k;
    o.upliftBase[i] = base;
    o.pAlive[i] = 0.5;
    o.margin[i] = 10;
    o.cost[i] = k === 0 ? 6 : 0.2;
    o.assumedUplift[i] = k === 0 ? 1.2 : 0.2;
    o.purchases[i] = poisson(rng, base * (1 + (treated ? (uplift[k] as number) : 0)));
    if (treated) {
      o.exploration.explored[i] = explored ? 1 : 0;
      o.exploration.propensity[i] = k === 1 ? share / 2 + 1 - share : share / 2;
    }
  }
  return o;
}

const window = { start: "1997-10-01", end: "1997-12-31" };

test("call, never the greedy pick, is measured on its explored rows and learned from them", () => {
  const result = measureCampaign(observations(0.2), { campaign: "x", window });
  const call = result.actions.find((a) => a.action === "call");
  const email = result.actions.find((a) => a.action === "email");
  // The greedy comparison has no call customer on either side: it could not be learned before.
  expect(call?.treated.customers).toBe(0);
  expect(call?.control.customers).toBe(0);
  const x = call?.explored;
  expect(x?.explored_rows).toBeGreaterThan(450);
  expect(x?.explored_rows).toBeLessThan(670);
  expect(x?.uplift.lower).toBeLessThan(0.6);
  expect(x?.uplift.upper).toBeGreaterThan(0.6);
  // Email by inverse propensity over greedy and explored rows alike: the truth within its interval.
  expect(email?.explored?.uplift.lower).toBeLessThan(0.1);
  expect(email?.explored?.uplift.upper).toBeGreaterThan(0.1);
  expect(result.notes.some((n) => n.includes("given an action by the exploration share"))).toBe(
    true,
  );

  const { result: weighed, lines } = byExploredEstimates(result);
  expect(lines.find((l) => l.startsWith("call:"))).toContain(`(${x?.explored_rows} explored rows`);
  expect(lines.find((l) => l.startsWith("call:"))).toContain("alone: the greedy policy picked it");
  expect(lines.find((l) => l.startsWith("email:"))).toContain("pooled with its greedy comparison");
  const learned = learnUplifts(weighed, { profit_model: "expected-profit" } as never);
  const learnedCall = learned.find((l) => l.action === "call");
  // The prior 1.2 (the decisions' assumed uplift) moves toward the measured 0.6.
  expect(learnedCall?.overall.posterior).toBeLessThan(0.9);
  expect(
    learnUplifts(result, { profit_model: "expected-profit" } as never).map((l) => l.action),
  ).toEqual(["email"]);
});
