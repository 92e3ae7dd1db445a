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

/**
 * Action ids with a series of their own, at most: the ids come from the callers (each request
 * names its actions), and a series per id never expires; 50,000 ids grew the service by 174 MB
 * and every scrape to 7.9 MB. Later ids are counted under `action="other"`.
 */
export const MAX_ACTION_SERIES = 100;
const OTHER_ACTION = "other";

/** The label of an action id: its own while fewer than MAX_ACTION_SERIES ids have one. */
function boundedLabels(max: number, always: readonly string[]): (id: string) => string {
  const own = new Set(always);
  return (id) => {
    if (own.has(id)) return id;
    if (own.size >= max + always.length) return OTHER_ACTION;
    own.add(id);
    return id;
  };
}

export type DecisionOutcomeMetrics = ReturnType<typeof createOutcomeMetrics>;

/** One per registry: /decision and /decision/batch share its series and their bound. */
const outcomesOf = new WeakMap<MetricsRegistry, DecisionOutcomeMetrics>();

/** The decision mix's metrics in `registry`. */
export function decisionOutcomeMetrics(registry: MetricsRegistry): DecisionOutcomeMetrics {
  let outcomes = outcomesOf.get(registry);
  if (!outcomes) {
    outcomes = createOutcomeMetrics(registry, "none");
    outcomesOf.set(registry, outcomes);
  }
  return outcomes;
}

function createOutcomeMetrics(registry: MetricsRegistry, noAction: string) {
  const actionLabel = boundedLabels(MAX_ACTION_SERIES, [noAction, OTHER_ACTION]);
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
  // Fallbacks present at 0 from the start: a first burst shorter than a scrape interval would
  // otherwise appear already counted, and increase() over it read 0.
  for (const kind of ["single", "batch"]) {
    decisions.inc({ kind, action: noAction, fallback: "true" }, 0);
  }
  return {
    single(outcome: SingleDecisionOutcome): void {
      const fallback = outcome.fallback ? "true" : "false";
      const action = actionLabel(outcome.chosen);
      decisions.inc({ kind: "single", action, fallback });
      const chosen = outcome.ranked.find((r) => r.id === outcome.chosen);
      const value = chosen?.expected_profit ?? 0;
      profit.inc({ kind: "single", action }, Math.max(0, value));
    },
    /** `customers`: the batch's customers (all decided, with the policy's default, on a fallback). */
    batch(outcome: BatchDecisionOutcome, customers: number): void {
      if (outcome.fallback) {
        // Its answer considers no one; every customer was decided (and logged) without a forecast.
        decisions.inc({ kind: "batch", action: noAction, fallback: "true" }, customers);
        return;
      }
      for (const pick of outcome.selected) {
        const action = actionLabel(pick.action);
        decisions.inc({ kind: "batch", action, fallback: "false" });
        profit.inc({ kind: "batch", action }, Math.max(0, pick.expected_profit));
      }
      const unselected = outcome.considered - outcome.selected.length;
      if (unselected > 0) {
        decisions.inc({ kind: "batch", action: noAction, fallback: "false" }, unselected);
      }
    },
  };
}
