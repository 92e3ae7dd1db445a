// What the decision service decided, as metrics: the mix of chosen actions and the expected profit
// they carry, for single decisions and budgeted batches (dashboard: decision mix, profit).
import type { MetricsRegistry } from "./registry.ts";

export interface SingleDecisionOutcome {
  chosen: string;
  ranked: ReadonlyArray<{ id: string; expected_profit: number | null }>;
  fallback?: unknown;
}

export interface BatchDecisionOutcome {
  considered: number;
  selected: ReadonlyArray<{ action: string; expected_profit: number }>;
  /** Present when the forecast was unavailable: nobody selected, every customer logged. */
  fallback?: unknown;
}

export function decisionOutcomeMetrics(registry: MetricsRegistry, noAction = "none") {
  const decisions = registry.counter({
    name: "decisions_total",
    help: "Customers decided, by request kind (single, batch), chosen action and whether the forecast was unavailable (fallback).",
    labelNames: ["kind", "action", "fallback"],
  });
  const profit = registry.counter({
    name: "decision_expected_profit_total",
    help: "Sum of the expected incremental profit of the chosen actions, by kind and action (never negative: doing nothing, at 0, is always a candidate).",
    labelNames: ["kind", "action"],
  });
  return {
    single(outcome: SingleDecisionOutcome): void {
      const fallback = outcome.fallback ? "true" : "false";
      decisions.inc({ kind: "single", action: outcome.chosen, fallback });
      const chosen = outcome.ranked.find((r) => r.id === outcome.chosen);
      const value = chosen?.expected_profit ?? 0;
      profit.inc({ kind: "single", action: outcome.chosen }, Math.max(0, value));
    },
    /** `customers`: the batch's customers (all decided, with the policy's default, on a fallback). */
    batch(outcome: BatchDecisionOutcome, customers: number): void {
      if (outcome.fallback) {
        // Its answer considers no one; every customer was decided (and logged) without a forecast.
        decisions.inc({ kind: "batch", action: noAction, fallback: "true" }, customers);
        return;
      }
      for (const pick of outcome.selected) {
        decisions.inc({ kind: "batch", action: pick.action, fallback: "false" });
        profit.inc({ kind: "batch", action: pick.action }, Math.max(0, pick.expected_profit));
      }
      const unselected = outcome.considered - outcome.selected.length;
      if (unselected > 0) {
        decisions.inc({ kind: "batch", action: noAction, fallback: "false" }, unselected);
      }
    },
  };
}
