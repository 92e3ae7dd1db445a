// A policy's learned uplifts replace the caller's, per P(alive) segment, and say so in the reasons.
import { expect, test } from "bun:test";
import { newPolicyDefinitionSchema } from "./policy-definition.ts";
import { withPolicyUplift } from "./policy-uplift.ts";
import { rankActions } from "./rank-actions.ts";

const policy = newPolicyDefinitionSchema.parse({
  uplifts: {
    email: {
      uplift: 0.1,
      by_p_alive: [
        { min: 0, max: 0.3, uplift: 0.02 },
        { min: 0.7, max: 1, uplift: 0.3 },
      ],
    },
  },
});
const email = { id: "email", cost: 1, uplift: 0.5, margin: 10 };

test("segment, overall, and untouched actions", () => {
  expect(withPolicyUplift(policy, email, 0.1).uplift).toBe(0.02);
  expect(withPolicyUplift(policy, email, 0.5).uplift).toBe(0.1);
  expect(withPolicyUplift(policy, email, 1).uplift).toBe(0.3);
  expect(withPolicyUplift(policy, email, Number.NaN).uplift).toBe(0.1);
  const call = { id: "call", cost: 5, uplift: 0.4, margin: 10 };
  expect(withPolicyUplift(policy, call, 0.5)).toBe(call);
});

test("ranking uses the policy's uplift and names it", () => {
  // 2 purchases × 0.1 × 10 − 1 = 1 (the request's 0.5 would give 9).
  const ranking = rankActions(policy, [email], { expectedPurchases: 2, pAlive: 0.5 });
  const ranked = ranking.ranked.find((r) => r.id === "email");
  expect(ranked?.expected_profit).toBeCloseTo(1, 12);
  expect(ranked?.reasons.some((r) => r.includes("policy's measured 0.1"))).toBe(true);
  expect(
    newPolicyDefinitionSchema.safeParse({ uplifts: { email: { uplift: 1000 } } }).success,
  ).toBe(false);
});

test("an action named like an Object property gets no policy uplift: ranked on its own, no 500", () => {
  // The uplifts are a JSON object: `uplifts["constructor"]` was Object's constructor, its
  // `.uplift` undefined, the profit NaN, and formatting it threw (POST /decision answered 500;
  // in a batch the action was silently never eligible).
  const names = ["constructor", "toString", "hasOwnProperty", "valueOf", "__proto__"];
  const actions = names.map((id) => ({ id, cost: 1, uplift: 0.5, margin: 10 }));
  for (const action of actions) expect(withPolicyUplift(policy, action, 0.5)).toBe(action);
  const ranking = rankActions(policy, actions, { expectedPurchases: 2, pAlive: 0.5 });
  for (const id of names) {
    // 2 purchases × 0.5 × 10 − 1 = 9: the request's uplift.
    expect(ranking.ranked.find((r) => r.id === id)?.expected_profit).toBeCloseTo(9, 12);
  }
});
