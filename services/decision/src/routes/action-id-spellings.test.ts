// Action ids are read in Unicode's composed form (NFC), as customer ids are: "é" sent decomposed
// (as macOS writes it) is the same action as "é" composed, in a request, a policy and a stored one.
import { expect, test } from "bun:test";
import { parseNewPolicyDefinition, storedPolicy } from "@pp/shared/policy/policy-definition.ts";
import { rankActions } from "@pp/shared/policy/rank-actions.ts";
import { batchRequestSchema, decisionRequestSchema } from "./decision-schemas.ts";

const NFC = "café-10pct".normalize("NFC");
const NFD = NFC.normalize("NFD");
const action = (id: string) => ({ id, cost: 1, uplift: 0.2, margin: 10 });
const request = (ids: string[]) => ({
  customer: { id: "c-1", summary: { frequency: 2, recency: 10, T: 20 } },
  horizon: { value: 13, unit: "week" },
  actions: ids.map(action),
});

test("a decomposed action id in a request is read composed", () => {
  const parsed = decisionRequestSchema.parse(request([NFD]));
  expect(parsed.actions[0]?.id).toBe(NFC);
});

test("one action in both spellings is listed twice: a 400 naming the second", () => {
  const batch = {
    ...request([NFC, NFD]),
    customer: undefined,
    customers: [{ id: "c-1" }],
    budget: 10,
  };
  delete batch.customer;
  const parsed = batchRequestSchema.safeParse(batch);
  expect(parsed.success).toBe(false);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => i.path.join("."));
  expect(issues).toEqual(["actions.1.id"]);
});

test("a policy naming the action decomposed, new or stored, matches the request's action", () => {
  const definition = {
    rules: [{ rule: "max_cost", value: 0.5, actions: [NFD] }],
    default_action: NFD,
    uplifts: { [NFD]: { uplift: 0.9 } },
  };
  const added = parseNewPolicyDefinition(definition);
  expect(added.success).toBe(true);
  const stored = storedPolicy({ name: "old", version: 1, definition }).definition;
  for (const policy of [added.success ? added.data : stored, stored]) {
    expect(policy.default_action).toBe(NFC);
    expect(Object.keys(policy.uplifts ?? {})).toEqual([NFC]);
    const ranking = rankActions(policy, [action(NFC)], { expectedPurchases: 1, pAlive: 1 });
    // The scoped max_cost rule applies: cost 1 exceeds 0.5.
    expect(ranking.ranked.find((r) => r.id === NFC)?.eligible).toBe(false);
  }
});

test("a new policy naming one action in both spellings among its uplifts is refused", () => {
  const added = parseNewPolicyDefinition({
    uplifts: { [NFC]: { uplift: 0.1 }, [NFD]: { uplift: 0.2 } },
  });
  expect(added.success).toBe(false);
});
