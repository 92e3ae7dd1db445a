// A batch whose rows the decision log partly skipped because their customers were erased moments
// ago: those customers are answered as failed items (409's code), not as decided, so nothing in
// the answer names a decision the log does not hold.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { compensatedSum } from "@pp/shared/numeric/compensated-sum.ts";
import { boundOf } from "@pp/shared/policy/budgeted-selection.ts";
import { selectedTotals } from "./batch-totals.ts";
import type { BatchAnswer } from "./decide-batch.ts";
import { ERASED_MESSAGE } from "./record-decisions.ts";

/** The item error of a customer whose decision the log skipped for an erasure. */
export const ERASED_ITEM_ERROR = { code: "conflict", message: ERASED_MESSAGE } as const;

/**
 * The answer without the decisions in `erased` (ids in lower case, of `rows`): out of `selected`
 * (totals summed again), `considered`, the campaign's groups (counted over decided customers),
 * control list and explored count, and each such customer in `errors`. The selection's LP bound
 * is taken again over the customers left (`boundWithout`; unset, as computed), and its gap and
 * exactness from it: left as computed, they covered the erased customers (an answer of total 1.5,
 * "exact", with an lp_upper_bound of 11.5 that counted an erased customer's call).
 */
export function withoutErasedItems(
  answer: BatchAnswer,
  rows: readonly NewDecisionLogRow[],
  erased: ReadonlySet<string>,
  boundWithout?: BoundWithout,
): BatchAnswer {
  if (erased.size === 0) return answer;
  const gone = (decisionId: string) => erased.has(decisionId.toLowerCase());
  const selected = answer.selected.filter((s) => !gone(s.decision_id));
  const skipped = rows.filter((row) => gone(row.decisionId));
  // The selection's figures are the greedy selection's: explored picks are not part of it.
  const explored = new Set(rows.filter((r) => r.explored).map((r) => r.decisionId.toLowerCase()));
  const greedy = selected.filter((s) => !explored.has(s.decision_id.toLowerCase()));
  const greedyProfit = compensatedSum(greedy.map((s) => s.expected_profit));
  return {
    ...answer,
    selected,
    totals: selectedTotals(selected),
    selection: boundWithout
      ? selectionWithout(answer.selection, boundWithout(erased), greedyProfit)
      : answer.selection,
    // A fallback batch considered none (all logged as "none"): it stays 0.
    considered: Math.max(0, answer.considered - skipped.length),
    errors: [
      ...answer.errors,
      ...skipped.map((row) => ({ id: row.customerId, error: { ...ERASED_ITEM_ERROR } })),
    ],
    ...(answer.campaign ? { campaign: withoutErasedMembers(answer.campaign, skipped, gone) } : {}),
  };
}

/** The LP bound of the batch's selection over its customers less `erased` (decision ids). */
export type BoundWithout = (erased: ReadonlySet<string>) => number;

/** The selection's bound, gap and exactness for the customers left, totalling `profit`. */
function selectionWithout(
  selection: BatchAnswer["selection"],
  lpUpperBound: number,
  profit: number,
): BatchAnswer["selection"] {
  const bound = boundOf(lpUpperBound, profit);
  return {
    ...selection,
    exact: bound.exact,
    lp_upper_bound: bound.lpUpperBound,
    gap: bound.gap,
    // The method's own claim (the top customers are optimal) no longer holds once one is withdrawn.
    ...(selection.exact && !bound.exact ? { bound: WITHDRAWN_BOUND } : {}),
  };
}

/** A selection made exact, then not, by withdrawing an erased customer's pick. */
const WITHDRAWN_BOUND =
  "an erased customer's decision was withdrawn after the selection: the optimum for the customers left lies between total and lp_upper_bound";

/** A campaign's groups, control list and explored count without the skipped rows' customers. */
function withoutErasedMembers(
  campaign: NonNullable<BatchAnswer["campaign"]>,
  skipped: readonly NewDecisionLogRow[],
  gone: (decisionId: string) => boolean,
): NonNullable<BatchAnswer["campaign"]> {
  const inGroup = (group: string) => skipped.filter((row) => row.assignmentGroup === group).length;
  return {
    ...campaign,
    groups: {
      treated: campaign.groups.treated - inGroup("treated"),
      control: campaign.groups.control - inGroup("control"),
    },
    control: campaign.control.filter((c) => !gone(c.decision_id)),
    // Counted over explored rows too: an erased explored customer is no longer one of them.
    ...(campaign.exploration
      ? {
          exploration: {
            ...campaign.exploration,
            explored: campaign.exploration.explored - skipped.filter((r) => r.explored).length,
          },
        }
      : {}),
  };
}
