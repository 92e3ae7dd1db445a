// Built-in policy definitions, stored as version 1 of their names the first time the decision
// service meets an empty policy table (`default` is then activated).
import { newPolicyDefinitionSchema, type PolicyDefinition } from "./policy-definition.ts";

export const namedPolicies: Record<string, PolicyDefinition> = {
  /** Expected purchases × uplift × margin − cost; do nothing when nothing pays. */
  default: newPolicyDefinitionSchema.parse({
    description:
      "Expected incremental profit = expected purchases in the horizon × uplift × margin − cost; " +
      "the most profitable action wins, doing nothing is worth 0.",
    profit_model: "expected-profit",
    forecast_model: "recommended",
    rules: [],
    default_action: "none",
    on_forecast_unavailable: "fail",
  }),
  /**
   * For win-back campaigns: the action's uplift raises the chance that a lapsing customer is
   * still alive; only customers with P(alive) below 0.7 are contacted, and an unavailable
   * forecast falls back (marked) to doing nothing rather than failing.
   */
  "lapsing-uplift": newPolicyDefinitionSchema.parse({
    description:
      "Uplift acts on P(alive): incremental purchases = uplift × (1 − P(alive)) × expected " +
      "purchases if alive; only lapsing customers (P(alive) < 0.7) are eligible for actions.",
    profit_model: "lapsing-uplift",
    forecast_model: "recommended",
    rules: [{ rule: "max_p_alive", value: 0.7 }],
    default_action: "none",
    on_forecast_unavailable: "fallback",
  }),
};
