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

/**
 * The models whose P(alive) is their own. gbdt and blend serve BG/NBD's P(alive) beside purchases
 * of their own, so lapsing-uplift's E[purchases] / P(alive) mixed two models (purchases if alive
 * 0.34 to 2.6 times BG/NBD's for the blend on a demo population, 13.5 times for one gbdt customer).
 */
const OWN_P_ALIVE = new Set(["bgnbd", "pareto_nbd"]);

export function outlookFor(
  policy: PolicyDefinition,
  item: CustomerForecast,
): ResolvedOutlook | null {
  const models = item.models ?? {};
  const wanted = policy.forecast_model === "recommended" ? item.recommended : policy.forecast_model;
  const lapsing = policy.profit_model === "lapsing-uplift";
  const order = [wanted, item.recommended, "bgnbd", "pareto_nbd", "gbdt"].filter(
    (m): m is string => typeof m === "string" && (!lapsing || OWN_P_ALIVE.has(m)),
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
    notes.push(
      lapsing && !OWN_P_ALIVE.has(wanted)
        ? `forecast: ${wanted} has no P(alive) of its own, which lapsing-uplift divides by; used ${model}`
        : `forecast: ${wanted} gave no expected purchases; used ${model}`,
    );
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

/**
 * Why a customer cannot be scored although the forecast's figures are finite: the expected profit
 * of `action` under them is not a finite number (1e307 expected purchases × uplift × margin, or a
 * P(alive) of 1e-300 that lapsing-uplift divides by). No figure out of range is ever answered or
 * logged as null, nor left out of a batch without a word.
 */
export function unscorableMessage(action: string, outlook: ResolvedOutlook): string {
  return (
    `the expected profit of action "${action}" is out of range under the forecast's figures ` +
    `(expected purchases ${outlook.expectedPurchases}, P(alive) ${outlook.pAlive}), so no action can be scored`
  );
}
