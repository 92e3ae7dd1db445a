// The figures in the reasons a person reads: tiny, near-whole and missing numbers are written as
// what they are ("0.00001", "1", "not available"), never "0.", "1." or "NaN".
import { describe, expect, test } from "bun:test";
import { formatFigure, ineligibilityReasons } from "./eligibility.ts";
import { namedPolicies } from "./named-policies.ts";
import { newPolicyDefinitionSchema } from "./policy-definition.ts";
import { rankActions } from "./rank-actions.ts";

/** A number written with a dangling point ("0.", "-0.", "1.") or not a number at all. */
const BROKEN = /\d\.(?!\d)|NaN|Infinity/;

describe("min_roi", () => {
  const rules = newPolicyDefinitionSchema.parse({ rules: [{ rule: "min_roi", value: 0 }] }).rules;
  const outlook = { expectedPurchases: 1, pAlive: 0.5 };
  const free = { id: "free", cost: 0, uplift: -0.5, margin: 10 };

  test("a free action that loses money fails; one that gains or breaks even passes", () => {
    expect(ineligibilityReasons(rules, free, outlook, -5)).toEqual([
      "min_roi: expected profit -5 at no cost (return on cost −∞)",
    ]);
    expect(ineligibilityReasons(rules, { ...free, uplift: 0.5 }, outlook, 5)).toEqual([]);
    expect(ineligibilityReasons(rules, { ...free, uplift: 0 }, outlook, 0)).toEqual([]);
  });

  test("with a cost, the return on cost is compared with the threshold", () => {
    const paid = { id: "paid", cost: 2, uplift: 0.1, margin: 10 };
    expect(ineligibilityReasons(rules, paid, outlook, -1)).toEqual([
      "min_roi: return on cost -0.5 is below 0",
    ]);
    expect(ineligibilityReasons(rules, paid, outlook, 1)).toEqual([]);
  });
});

describe("figures in reasons", () => {
  test("formatFigure: whole, 4 decimals, and tiny numbers with their digits", () => {
    const cases: Array<[number, string]> = [
      [5e-324, "5e-324"],
      [-5e-324, "-5e-324"],
      [1e-300, "1e-300"],
      [0.00001, "0.00001"],
      [-0.00004, "-0.00004"],
      [0.00012345, "0.0001"],
      [0.99999, "1"],
      [2.00001, "2"],
      [10.00001, "10"],
      [100.5, "100.5"],
      [0.1, "0.1"],
      [12.3456789, "12.3457"],
      [-0, "0"],
      [1e12, "1000000000000"],
      [1e21, "1e+21"],
    ];
    expect(cases.map(([x]) => formatFigure(x))).toEqual(cases.map(([, s]) => s));
  });

  test("reasons at the bounds never show a dangling point or NaN", () => {
    const policy = newPolicyDefinitionSchema.parse({
      rules: [
        { rule: "max_cost", value: 0.00001 },
        { rule: "min_p_alive", value: 0.99999 },
        { rule: "min_expected_profit", value: 1e-300 },
      ],
    });
    const actions = [
      { id: "tiny", cost: 0.00002, uplift: 1e-300, margin: 5e-324 },
      { id: "near-one", cost: 0.99999, uplift: 2.00001, margin: 0.00004 },
    ];
    const reasons: string[] = [];
    for (const pAlive of [0.999989, 0.00001, Number.NaN]) {
      const outlook = { expectedPurchases: 0.00003, pAlive };
      for (const a of actions)
        reasons.push(...ineligibilityReasons(policy.rules, a, outlook, -1e-5));
      reasons.push(...rankActions(policy, actions, outlook).ranked.flatMap((r) => r.reasons));
      const lapsing = namedPolicies["lapsing-uplift"] as NonNullable<
        (typeof namedPolicies)["lapsing-uplift"]
      >;
      reasons.push(...rankActions(lapsing, actions, outlook).ranked.flatMap((r) => r.reasons));
    }
    expect(reasons.length).toBeGreaterThan(20);
    expect(reasons.filter((r) => BROKEN.test(r))).toEqual([]);
    expect(reasons).toContain("max_cost: cost 0.00002 exceeds 0.00001");
    // Figures that 4 decimals would show equal are written in full.
    expect(reasons).toContain("min_p_alive: P(alive) 0.999989 is below 0.99999");
  });
});
