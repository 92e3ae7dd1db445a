// Stored definitions are read with the rules the engine needs; new ones are held to the limits
// added since (2026-12-05). A stored definition over those limits still loads and decides, in
// time that does not grow with the length of its rules' action lists.
import { expect, test } from "bun:test";
import {
  parseNewPolicyDefinition,
  storedPolicy,
  storedPolicyDefinitionSchema,
} from "./policy-definition.ts";
import { rankActions } from "./rank-actions.ts";

const LONG = "a".repeat(200);
const sixty = Array.from({ length: 60 }, (_, i) => `offer-${i}`);
const overLimits = {
  rules: [{ rule: "max_cost", value: 5, actions: [...sixty, LONG] }],
  default_action: LONG,
  uplifts: { [LONG]: { uplift: 0.5 } },
};

test("a stored definition over the new limits loads; added now it is refused, naming each field", () => {
  const policy = storedPolicy({ name: "old", version: 1, definition: overLimits });
  expect(policy.definition.rules[0]?.actions?.length).toBe(61);
  expect(policy.definition.default_action).toBe(LONG);

  const added = parseNewPolicyDefinition(overLimits);
  expect(added.success).toBe(false);
  const paths = added.success ? [] : added.issues.map((i) => i.path.join("."));
  expect(paths).toContain("rules.0.actions");
  const longInScope = { rules: [{ rule: "max_cost", value: 5, actions: ["email", LONG] }] };
  const scope = parseNewPolicyDefinition(longInScope);
  expect(scope.success ? [] : scope.issues.map((i) => i.path.join("."))).toEqual([
    "rules.0.actions.1",
  ]);
  expect(paths).toContain("default_action");
  expect(paths).toContain(`uplifts.${LONG}`);
});

test("what the engine cannot run stays refused when stored, with the policy's name", () => {
  for (const definition of [
    { rules: [{ rule: "max_cost", value: -1 }] },
    { rules: [{ rule: "max_cost", value: 1, actions: [] }] },
    { default_action: "" },
    { rules: "max_cost" },
  ]) {
    expect(storedPolicyDefinitionSchema.safeParse(definition).success).toBe(false);
    expect(() => storedPolicy({ name: "broken", version: 3, definition })).toThrow(
      "active policy broken v3 has an invalid definition",
    );
  }
});

test("the engine decides a stored policy with long rule scopes in bounded time", () => {
  // 100 rules (the most a definition holds) scoped to 10,000 actions each, none of them offered:
  // scanned as lists, 50 actions × 100 rules × 10,000 ids is 5e7 comparisons a customer.
  const rules = Array.from({ length: 100 }, (_, r) => ({
    rule: "max_cost",
    value: 0,
    actions: Array.from({ length: 10_000 }, (_, i) => `scoped-${r}-${i}`),
  }));
  const { definition } = storedPolicy({ name: "wide", version: 1, definition: { rules } });
  const actions = Array.from({ length: 50 }, (_, i) => ({
    id: `offer-${i}`,
    cost: 1,
    uplift: 0.1,
    margin: 10,
  }));
  rankActions(definition, actions, { expectedPurchases: 2, pAlive: 0.5 }); // builds the sets
  const started = performance.now();
  let chosen = "";
  for (let customer = 0; customer < 200; customer++) {
    chosen = rankActions(definition, actions, { expectedPurchases: 2, pAlive: 0.5 }).chosen;
  }
  const ms = performance.now() - started;
  expect(chosen).toBe("offer-0"); // no rule covers an offered action
  // Sets: ms here; lists took over 30 s.
  console.log(`200 customers: ${ms.toFixed(0)} ms`);
  expect(ms).toBeLessThan(3000);
  // An offered action the scope lists is held to the rule.
  const scoped = { ...actions[0], id: "scoped-7-9999" } as (typeof actions)[number];
  const ranking = rankActions(definition, [scoped], { expectedPurchases: 2, pAlive: 0.5 });
  expect(ranking.chosen).toBe("none");
  expect(ranking.ranked.find((r) => r.id === "scoped-7-9999")?.reasons).toContain(
    "max_cost: cost 1 exceeds 0",
  );
});
