// A batch whose rows the decision log partly skipped because their customers were erased moments
// ago: those customers are answered as failed items (409's code), not as decided, so nothing in
// the answer names a decision the log does not hold.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { BatchAnswer } from "./decide-batch.ts";
import { ERASED_MESSAGE } from "./record-decisions.ts";

/** The item error of a customer whose decision the log skipped for an erasure. */
export const ERASED_ITEM_ERROR = { code: "conflict", message: ERASED_MESSAGE } as const;

/**
 * The answer without the decisions in `erased` (ids in lower case, of `rows`): out of `selected`
 * (totals summed again), `considered`, the campaign's groups (counted over decided customers) and
 * control list, and each such customer in `errors`. The selection's bound is left as computed: it
 * covered them when they were decided.
 */
export function withoutErasedItems(
  answer: BatchAnswer,
  rows: readonly NewDecisionLogRow[],
  erased: ReadonlySet<string>,
): BatchAnswer {
  if (erased.size === 0) return answer;
  const gone = (decisionId: string) => erased.has(decisionId.toLowerCase());
  const selected = answer.selected.filter((s) => !gone(s.decision_id));
  const skipped = rows.filter((row) => gone(row.decisionId));
  return {
    ...answer,
    selected,
    totals: {
      customers: selected.length,
      cost: selected.reduce((sum, s) => sum + s.cost, 0),
      expected_profit: selected.reduce((sum, s) => sum + s.expected_profit, 0),
    },
    // A fallback batch considered none (all logged as "none"): it stays 0.
    considered: Math.max(0, answer.considered - skipped.length),
    errors: [
      ...answer.errors,
      ...skipped.map((row) => ({ id: row.customerId, error: { ...ERASED_ITEM_ERROR } })),
    ],
    ...(answer.campaign ? { campaign: withoutErasedMembers(answer.campaign, skipped, gone) } : {}),
  };
}

/** A campaign's groups and control list without the skipped rows' customers. */
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
  };
}
