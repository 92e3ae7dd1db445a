// Many customers under a budget: forecast them in one call, score every action per customer
// under the active policy, select within the budget (see policy/budgeted-selection.ts), log one
// decision per customer, and answer with the selection, its totals and its optimality bound.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { type SelectionOption, selectWithinBudget } from "@pp/shared/policy/budgeted-selection.ts";
import { ineligibilityReasons } from "@pp/shared/policy/eligibility.ts";
import { expectedProfit } from "@pp/shared/policy/expected-profit.ts";
import { withPolicyUplift } from "@pp/shared/policy/policy-uplift.ts";
import { NO_ACTION } from "@pp/shared/policy/rank-actions.ts";
import {
  type CampaignSplit,
  CONTROL_REASON,
  campaignColumns,
  campaignDetails,
  controlBudget,
  optionsOfGroup,
  splitCampaign,
} from "../campaigns/campaign-decisions.ts";
import type { DecisionDeps } from "../deps.ts";
import type { ForecastResponse } from "../forecast-client/forecast-contract.ts";
import { ForecastUnavailableError } from "../forecast-client/forecast-errors.ts";
import type { BatchRequest } from "../routes/decision-schemas.ts";
import { forecastFailureError, isCallerError } from "./forecast-failure.ts";
import { outlookFor, type ResolvedOutlook } from "./forecast-outlook.ts";
import { recordOrRefuse, refuseEarlyUnlessRoom } from "./record-decisions.ts";

export interface BatchAnswer {
  batch_id: string;
  selected: Array<{
    id: string;
    action: string;
    cost: number;
    expected_profit: number;
    decision_id: string;
  }>;
  totals: { customers: number; cost: number; expected_profit: number };
  selection: {
    method: string;
    exact: boolean;
    budget: number;
    lp_upper_bound: number;
    gap: number;
    bound: string;
  };
  considered: number;
  errors: Array<{ id: string; error: { code: string; message: string } }>;
  policy: { name: string; version: number };
  model: { name: string; version: number } | null;
  fallback?: { reason: string; message: string };
  /** With a campaign: its groups and the control customers with what they would have received. */
  campaign?: CampaignAnswer;
}

export interface CampaignAnswer {
  id: string;
  control_share: number;
  groups: { treated: number; control: number };
  control: Array<{ id: string; reason: string; would_have_action: string; decision_id: string }>;
}

export async function decideBatch(deps: DecisionDeps, body: BatchRequest): Promise<BatchAnswer> {
  const n = body.customers.length;
  refuseEarlyUnlessRoom(deps, n);
  const policy = await deps.policies.active();
  const batchId = crypto.randomUUID();
  const base = {
    batch_id: batchId,
    policy: { name: policy.name, version: policy.version },
  };
  let forecast: ForecastResponse;
  try {
    forecast = await deps.forecast.forecast({ horizon: body.horizon, customers: body.customers });
    if (forecast.forecasts.length !== n) {
      throw new ForecastUnavailableError(
        "bad_response",
        `forecast answered ${forecast.forecasts.length} items for ${n} customers`,
      );
    }
  } catch (err) {
    if (!(err instanceof ForecastUnavailableError)) throw err;
    if (isCallerError(err) || policy.definition.on_forecast_unavailable === "fail") {
      throw forecastFailureError(err, deps.forecast.breaker);
    }
    // Marked fallback: nobody is selected (the policy's default for everyone), all logged.
    const rows: NewDecisionLogRow[] = body.customers.map((c) => ({
      decisionId: crypto.randomUUID(),
      decidedAt: new Date(),
      customerId: c.id,
      inputs: { kind: "batch", batch_id: batchId, horizon: body.horizon, budget: body.budget },
      chosenAction: NO_ACTION,
      scores: { fallback: { reason: err.kind } },
      policyName: policy.name,
      policyVersion: policy.version,
      modelName: "unavailable",
      modelVersion: 0,
    }));
    await recordOrRefuse(deps, rows);
    return {
      ...base,
      selected: [],
      totals: { customers: 0, cost: 0, expected_profit: 0 },
      selection: {
        method: "fallback",
        exact: false,
        budget: body.budget,
        lp_upper_bound: 0,
        gap: 0,
        bound: "no forecast: nothing selected",
      },
      considered: 0,
      errors: [],
      model: null,
      fallback: { reason: err.kind, message: err.message },
    };
  }

  const errors: BatchAnswer["errors"] = [];
  const options: SelectionOption[][] = new Array(n);
  const scored = new Uint8Array(n);
  const outlooks: Array<ResolvedOutlook | null> = new Array(n).fill(null);
  for (let i = 0; i < n; i++) {
    const customer = body.customers[i] as BatchRequest["customers"][number];
    const item = forecast.forecasts[i];
    options[i] = [];
    if (!item || item.id !== customer.id) {
      errors.push({
        id: customer.id,
        error: { code: "forecast_mismatch", message: "no forecast for this customer" },
      });
      continue;
    }
    if (item.error) {
      errors.push({
        id: customer.id,
        error: { code: item.error.code, message: item.error.message },
      });
      continue;
    }
    const outlook = outlookFor(policy.definition, item);
    if (!outlook) {
      errors.push({
        id: customer.id,
        error: {
          code: "no_forecast",
          message: "the forecast gives no finite expected purchases for this customer",
        },
      });
      continue;
    }
    scored[i] = 1;
    outlooks[i] = outlook;
    const list = options[i] as SelectionOption[];
    for (const asked of body.actions) {
      const action = withPolicyUplift(policy.definition, asked, outlook.pAlive);
      const profit = expectedProfit(policy.definition.profit_model, action, outlook);
      if (ineligibilityReasons(policy.definition.rules, action, outlook, profit).length === 0) {
        list.push({ action: action.id, cost: action.cost, profit });
      }
    }
  }

  const split = await splitCampaign(
    deps,
    policy,
    body,
    body.customers.map((c) => c.id),
  );
  // The budget is the treated group's; the control group gets a proportional shadow selection.
  const result = selectWithinBudget(
    split ? optionsOfGroup(split, options, "treated") : options,
    body.budget,
  );
  const picked = new Map(result.picks.map((p) => [p.index, p.option]));
  const shadow = split
    ? selectWithinBudget(
        optionsOfGroup(split, options, "control"),
        controlBudget(split, body.budget),
      )
    : null;
  const wouldHave = new Map(shadow?.picks.map((p) => [p.index, p.option]) ?? []);
  const decisionIds: string[] = new Array(n);
  const rows: NewDecisionLogRow[] = [];
  const decidedAt = new Date();
  for (let i = 0; i < n; i++) {
    if (!scored[i]) continue;
    const id = crypto.randomUUID();
    decisionIds[i] = id;
    const pick = picked.get(i);
    const group = split?.groups[i];
    const shadowPick = wouldHave.get(i);
    const planned = pick ?? shadowPick;
    rows.push({
      decisionId: id,
      decidedAt,
      customerId: (body.customers[i] as { id: string }).id,
      inputs: { kind: "batch", batch_id: batchId, horizon: body.horizon, budget: body.budget },
      chosenAction: pick?.action ?? NO_ACTION,
      scores: {
        options: options[i],
        selected: pick
          ? { action: pick.action, cost: pick.cost, expected_profit: pick.profit }
          : null,
        ...(split
          ? {
              ...(group === "control" ? { reason: CONTROL_REASON } : {}),
              campaign: campaignDetails(
                policy,
                body.actions,
                planned?.action ?? NO_ACTION,
                outlooks[i] ?? null,
                planned?.profit ?? null,
              ),
            }
          : {}),
      },
      ...campaignColumns(split, group, planned?.action),
      policyName: policy.name,
      policyVersion: policy.version,
      modelName: forecast.model.name,
      modelVersion: forecast.model.version,
    });
  }
  await recordOrRefuse(deps, rows);

  return {
    ...base,
    selected: result.picks.map((p) => ({
      id: (body.customers[p.index] as { id: string }).id,
      action: p.option.action,
      cost: p.option.cost,
      expected_profit: p.option.profit,
      decision_id: decisionIds[p.index] as string,
    })),
    totals: {
      customers: result.picks.length,
      cost: result.totalCost,
      expected_profit: result.totalProfit,
    },
    selection: {
      method: result.method,
      exact: result.exact,
      budget: body.budget,
      lp_upper_bound: result.lpUpperBound,
      gap: result.gap,
      bound:
        result.method === "equal-cost-exact"
          ? "exact: all useful actions cost the same, the top customers by profit are optimal"
          : `total ≥ LP optimum − largest single-action profit (${result.maxSingleProfit}); ` +
            "the optimum lies between total and lp_upper_bound",
    },
    considered: rows.length,
    errors,
    model: { name: forecast.model.name, version: forecast.model.version },
    ...(split ? { campaign: campaignAnswer(split, body, scored, wouldHave, decisionIds) } : {}),
  };
}

function campaignAnswer(
  split: CampaignSplit,
  body: BatchRequest,
  scored: Uint8Array,
  wouldHave: Map<number, SelectionOption>,
  decisionIds: string[],
): CampaignAnswer {
  const control: CampaignAnswer["control"] = [];
  split.groups.forEach((g, i) => {
    if (g !== "control" || !scored[i]) return;
    control.push({
      id: (body.customers[i] as { id: string }).id,
      reason: CONTROL_REASON,
      would_have_action: wouldHave.get(i)?.action ?? NO_ACTION,
      decision_id: decisionIds[i] as string,
    });
  });
  return {
    id: split.id,
    control_share: split.controlShare,
    groups: { treated: split.treated, control: split.control },
    control,
  };
}
