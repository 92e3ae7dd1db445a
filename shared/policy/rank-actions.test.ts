import { describe, expect, test } from "bun:test";
import { expectedProfit } from "./expected-profit.ts";
import { namedPolicies } from "./named-policies.ts";
import { newPolicyDefinitionSchema } from "./policy-definition.ts";
import { NO_ACTION, rankActions } from "./rank-actions.ts";

const actions = [
  { id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8.0 },
  { id: "call", cost: 6.0, uplift: 0.4, margin: 8.0 },
];
const defaultPolicy = namedPolicies.default as NonNullable<typeof namedPolicies.default>;
const lapsing = namedPolicies["lapsing-uplift"] as NonNullable<
  (typeof namedPolicies)["lapsing-uplift"]
>;

describe("expected profit", () => {
  test("default: purchases × uplift × margin − cost", () => {
    const outlook = { expectedPurchases: 1.25, pAlive: 0.8 };
    expect(expectedProfit("expected-profit", actions[0] as never, outlook)).toBeCloseTo(1.0, 12);
    expect(expectedProfit("expected-profit", actions[1] as never, outlook)).toBeCloseTo(-2.0, 12);
  });

  test("lapsing-uplift: uplift revives the dead share of purchases-if-alive", () => {
    const outlook = { expectedPurchases: 0.5, pAlive: 0.25 };
    // purchases if alive = 2; incremental = 0.4 × 0.75 × 2 = 0.6; × 8 − 6 = −1.2
    expect(expectedProfit("lapsing-uplift", actions[1] as never, outlook)).toBeCloseTo(-1.2, 12);
    expect(
      expectedProfit("lapsing-uplift", actions[0] as never, { expectedPurchases: 0, pAlive: 0 }),
    ).toBe(-0.5);
    // A customer surely alive gets nothing from a revival action.
    expect(
      expectedProfit("lapsing-uplift", actions[0] as never, { expectedPurchases: 3, pAlive: 1 }),
    ).toBeCloseTo(-0.5, 12);
  });
});

describe("rankActions", () => {
  test("the issue's example: email chosen, none second, call last, with reasons", () => {
    const ranking = rankActions(defaultPolicy, actions, { expectedPurchases: 1.25, pAlive: 0.8 });
    expect(ranking.chosen).toBe("email-10pct");
    expect(ranking.ranked.map((r) => r.id)).toEqual(["email-10pct", NO_ACTION, "call"]);
    expect(ranking.ranked.map((r) => r.expected_profit)).toEqual([
      expect.closeTo(1.0, 12),
      0,
      expect.closeTo(-2.0, 12),
    ]);
    expect(ranking.ranked.every((r) => r.eligible)).toBe(true);
    const email = ranking.ranked[0];
    expect(email?.reasons[0]).toBe(
      "expected_profit: 1.25 expected purchases × uplift 0.15 × margin 8 − cost 0.5 = 1",
    );
    expect(email?.reasons).toContain("chosen: highest expected profit among eligible actions");
  });

  test("'none' is always present and chosen when nothing pays; no actions at all works", () => {
    const ranking = rankActions(defaultPolicy, actions, { expectedPurchases: 0.1, pAlive: 0.5 });
    expect(ranking.chosen).toBe(NO_ACTION);
    expect(ranking.ranked[0]?.reasons).toContain(
      "chosen: no eligible action has a positive expected profit",
    );
    const empty = rankActions(defaultPolicy, [], { expectedPurchases: 3, pAlive: 1 });
    expect(empty.chosen).toBe(NO_ACTION);
    expect(empty.ranked.map((r) => r.id)).toEqual([NO_ACTION]);
  });

  test("eligibility rules mark actions ineligible with readable reasons, scoped per action", () => {
    const policy = newPolicyDefinitionSchema.parse({
      rules: [
        { rule: "max_cost", value: 5 },
        { rule: "min_p_alive", value: 0.5, actions: ["email-10pct"] },
        { rule: "min_roi", value: 3 },
      ],
    });
    const ranking = rankActions(policy, actions, { expectedPurchases: 10, pAlive: 0.3 });
    // Both profitable (11.5 and 26) but neither eligible.
    const byId = Object.fromEntries(ranking.ranked.map((r) => [r.id, r]));
    expect(byId.call?.eligible).toBe(false);
    expect(byId.call?.reasons).toContain("max_cost: cost 6 exceeds 5");
    expect(byId["email-10pct"]?.eligible).toBe(false);
    expect(byId["email-10pct"]?.reasons).toContain("min_p_alive: P(alive) 0.3 is below 0.5");
    expect(ranking.chosen).toBe(NO_ACTION);
    // Eligible first, then by profit.
    expect(ranking.ranked.map((r) => r.id)).toEqual([NO_ACTION, "call", "email-10pct"]);
  });

  test("lapsing-uplift policy: active customers (P(alive) > 0.7) get no action", () => {
    const big = [{ id: "winback", cost: 1, uplift: 0.5, margin: 10 }];
    const active = rankActions(lapsing, big, { expectedPurchases: 3, pAlive: 0.95 });
    expect(active.chosen).toBe(NO_ACTION);
    expect(active.ranked[1]?.reasons).toContain(
      "max_p_alive: P(alive) 0.95 is above 0.7 (customer not lapsing)",
    );
    const lapsingCustomer = rankActions(lapsing, big, { expectedPurchases: 0.4, pAlive: 0.2 });
    // 0.5 × 0.8 × 2 × 10 − 1 = 7
    expect(lapsingCustomer.chosen).toBe("winback");
    expect(lapsingCustomer.ranked[0]?.expected_profit).toBeCloseTo(7, 12);
  });

  test("a P(alive) rule fails (rather than passes) when the model gives no P(alive)", () => {
    const ranking = rankActions(lapsing, actions, { expectedPurchases: 4, pAlive: Number.NaN });
    expect(ranking.chosen).toBe(NO_ACTION);
    expect(ranking.ranked.find((r) => r.id === "call")?.reasons).toContain(
      "max_p_alive: P(alive) is not available from the model",
    );
  });

  test("ties prefer doing nothing, then the cheaper action", () => {
    const zero = [{ id: "free-zero", cost: 0, uplift: 0, margin: 1 }];
    expect(rankActions(defaultPolicy, zero, { expectedPurchases: 1, pAlive: 1 }).chosen).toBe(
      NO_ACTION,
    );
    const twins = [
      { id: "b", cost: 2, uplift: 0.5, margin: 4 },
      { id: "a", cost: 1, uplift: 0.25, margin: 4 },
    ];
    // at 2 purchases: b = 2×0.5×4−2 = 2, a = 2×0.25×4−1 = 1 → b wins outright
    expect(rankActions(defaultPolicy, twins, { expectedPurchases: 2, pAlive: 1 }).chosen).toBe("b");
    const equal = [
      { id: "b", cost: 2, uplift: 0.5, margin: 4 },
      { id: "a", cost: 1, uplift: 0.375, margin: 4 },
    ];
    // 2: b = 2, a = 2 → cheaper a
    expect(rankActions(defaultPolicy, equal, { expectedPurchases: 2, pAlive: 1 }).chosen).toBe("a");
  });
});
