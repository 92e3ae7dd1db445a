// A campaign of a million customers: the report's and the share pinning's minima are loops, not
// Math.min(...array), whose spread of ~1M arguments overflowed the stack (the report was lost).
import { expect, test } from "bun:test";
import { shareKeepingGroups } from "@pp/shared/campaigns/campaign-shares.ts";
import { firstDecisionDay } from "./campaign-report.ts";

const MILLION = 1_000_000;

test("the first decision of 1,000,000 is found without overflowing the stack", () => {
  const decisions = Array.from({ length: MILLION }, (_, i) => ({ decidedDay: 10_000 + (i % 97) }));
  decisions[MILLION - 1] = { decidedDay: 9_999 };
  expect(firstDecisionDay(decisions)).toBe(9_999);
  expect(firstDecisionDay([])).toBe(Number.POSITIVE_INFINITY);
});

test("a share is pinned against 1,000,000 logged groups without overflowing the stack", () => {
  // Draws below 0.3 logged as control, above as treated: 0.3 keeps every customer's group.
  const control = Array.from({ length: MILLION / 2 }, (_, i) => (0.3 * i) / (MILLION / 2));
  const treated = Array.from({ length: MILLION / 2 }, (_, i) => 0.3 + (0.7 * (i + 1)) / MILLION);
  expect(shareKeepingGroups(0.3, control, treated)).toBe(0.3);
});
