import { expect, test } from "bun:test";
import type { BatchAnswer } from "./decide-batch.ts";
import { batchWithIds, batchWithoutIds } from "./keyed-batch-answer.ts";

const ids = ["a", "ann", "a", '\u{1F600}"\\', "x"];
const answer: BatchAnswer = {
  batch_id: "b",
  policy: { name: "default", version: 1 },
  selected: [
    { id: "ann", action: "email", cost: 0.5, expected_profit: 0.1 + 0.2, decision_id: "d1" },
    { id: "a", action: "call", cost: 6, expected_profit: 1e-300, decision_id: "d0" },
  ],
  totals: { customers: 2, cost: 6.5, expected_profit: 0.30000000000000004 },
  selection: { method: "m", exact: true, budget: 10, lp_upper_bound: 1, gap: 0, bound: "exact" },
  considered: 4,
  errors: [
    {
      id: '\u{1F600}"\\',
      error: { code: "unknown_customer", message: 'no customer "\u{1F600}\\"\\\\" (\u{1F600}"\\)' },
    },
    { id: "x", error: { code: "no_forecast", message: "x marks no spot" } },
  ],
  model: { name: "purchase", version: 3 },
  campaign: {
    id: "spring",
    control_share: 0.5,
    groups: { treated: 2, control: 2 },
    control: [{ id: "a", reason: "control group", would_have_action: "email", decision_id: "d2" }],
  },
};

test("a batch answer kept without ids comes back byte for byte from the request's ids", () => {
  const kept = batchWithoutIds(answer, ids);
  for (const id of ["ann", "\u{1F600}", "x marks"]) expect(kept).not.toContain(id);
  const parsed = JSON.parse(kept) as {
    selected: Array<{ id: unknown }>;
    errors: Array<{ id: unknown }>;
    campaign: { control: Array<{ id: unknown }> };
  };
  const positions = [...parsed.selected, ...parsed.errors, ...parsed.campaign.control].map(
    (e) => e.id,
  );
  expect(positions).toEqual([1, 0, 3, 4, 0]);
  expect(batchWithIds(kept, ids)).toBe(JSON.stringify(answer));
  const { campaign: _, ...plain } = answer;
  expect(batchWithIds(batchWithoutIds(plain, ids), ids)).toBe(JSON.stringify(plain));
});

test("an id not in the request is an internal error, never a silent wrong answer", () => {
  expect(() => batchWithoutIds(answer, ["a"])).toThrow("is not in the batch");
});
