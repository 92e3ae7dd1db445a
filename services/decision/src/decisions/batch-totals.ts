// A batch answer's totals over its selected items, summed with compensation as the selection's
// own totals are (budgeted-selection.ts): an exploring batch's, and a batch's less erased items.
import { compensatedSum } from "@pp/shared/numeric/compensated-sum.ts";

/** Customers, cost and expected profit of `selected`, each sum compensated. */
export function selectedTotals(selected: readonly { cost: number; expected_profit: number }[]) {
  return {
    customers: selected.length,
    cost: compensatedSum(selected.map((s) => s.cost)),
    expected_profit: compensatedSum(selected.map((s) => s.expected_profit)),
  };
}
