// Turns one customer's /forecast item into the figures a policy uses, from the model the policy
// names ("recommended" = the one the forecast service recommends), falling back to BG/NBD for
// what that model does not give.

import type { CustomerOutlook } from "@pp/shared/policy/expected-profit.ts";
import type { PolicyDefinition } from "@pp/shared/policy/policy-definition.ts";
import type { CustomerForecast, ModelFigures } from "../forecast-client/forecast-contract.ts";

export interface ResolvedOutlook extends CustomerOutlook {
  /** Which model's expected purchases were used. */
  model: string;
  notes: string[];
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

export function outlookFor(
  policy: PolicyDefinition,
  item: CustomerForecast,
): ResolvedOutlook | null {
  const models = item.models ?? {};
  const wanted = policy.forecast_model === "recommended" ? item.recommended : policy.forecast_model;
  const order = [wanted, item.recommended, "bgnbd", "pareto_nbd", "gbdt"].filter(
    (m): m is string => typeof m === "string",
  );
  const notes: string[] = [];
  let model: string | undefined;
  let figures: ModelFigures | undefined;
  for (const name of order) {
    const f = models[name];
    if (f && finite(f.expected_purchases)) {
      model = name;
      figures = f;
      break;
    }
  }
  if (!model || !figures) return null;
  if (wanted && model !== wanted)
    notes.push(`forecast: ${wanted} gave no expected purchases; used ${model}`);
  let pAlive = figures.p_alive;
  if (!finite(pAlive)) {
    const bg = models.bgnbd?.p_alive;
    if (finite(bg)) {
      pAlive = bg;
      notes.push("forecast: P(alive) taken from bgnbd");
    }
  }
  return {
    model,
    expectedPurchases: figures.expected_purchases as number,
    pAlive: finite(pAlive) ? pAlive : Number.NaN,
    notes,
  };
}
