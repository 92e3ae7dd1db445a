// Many customers under a budget: forecast them in one call, score every action per customer
// under the active policy, select within the budget (see policy/budgeted-selection.ts), log one
// decision per customer, and answer with the selection, its totals and its optimality bound.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import {
  type SelectionOption,
  type SelectionResult,
  selectWithinBudget,
} from "@pp/shared/policy/budgeted-selection.ts";
import type { AssignmentGroup } from "@pp/shared/policy/control-assignment.ts";
import { ineligibilityReasons } from "@pp/shared/policy/eligibility.ts";
import { expectedProfit } from "@pp/shared/policy/expected-profit.ts";
import { withPolicyUplift } from "@pp/shared/policy/policy-uplift.ts";
import { NO_ACTION } from "@pp/shared/policy/rank-actions.ts";
import type { KeptAnswer } from "@pp/shared/registry/decision-log.ts";
import {
  type CampaignSplit,
  CONTROL_REASON,
  campaignColumns,
  campaignDetails,
  optionsOfGroup,
  shadowBudget,
  splitCampaign,
} from "../campaigns/campaign-decisions.ts";
import {
  type BatchExploration,
  drawExploration,
  explorationColumns,
} from "../campaigns/campaign-exploration.ts";
import type { DecisionDeps } from "../deps.ts";
import type { ForecastResponse } from "../forecast-client/forecast-contract.ts";
import { ForecastUnavailableError, isCallerError } from "../forecast-client/forecast-errors.ts";
import type { BatchRequest } from "../routes/decision-schemas.ts";
import { selectedTotals } from "./batch-totals.ts";
import { type BoundWithout, withoutErasedItems } from "./erased-batch-items.ts";
import { forecastFailureError } from "./forecast-failure.ts";
import { outlookFor, type ResolvedOutlook, unscorableMessage } from "./forecast-outlook.ts";
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

interface CampaignAnswer {
  id: string;
  control_share: number;
  groups: { treated: number; control: number };
  control: Array<{ id: string; reason: string; would_have_action: string; decision_id: string }>;
  exploration?: { share: number; explored: number };
}

type Policy = Awaited<ReturnType<DecisionDeps["policies"]["active"]>>;

/**
 * A batch under an Idempotency-Key (idempotent-decision.ts): its id, the id of each customer's
 * row (the first row written is the one that keeps the answer), and how that row keeps it.
 */
export interface BatchIdempotency {
  batchId: string;
  memberId(index: number, first: boolean): string;
  seal(rows: NewDecisionLogRow[], answer: BatchAnswer): NewDecisionLogRow[];
  /**
   * The answer row's keeping of `answer` (without members an erasure skipped) in place of the
   * sealed one, written in the rows' commit so replays answer as this request does; null when
   * that row was itself skipped (nothing keeps an answer).
   */
  amended(answer: BatchAnswer, erased: ReadonlySet<string>): KeptAnswer | null;
  /** Throws the 409 to answer when the row keeping the answer was skipped. */
  refuseIfHolderErased(rows: NewDecisionLogRow[], erased: ReadonlySet<string>): void;
}

/** The rows to record: sealed with the answer under a key, else as they are. */
const rowsToRecord = (rows: NewDecisionLogRow[], answer: BatchAnswer, keyed?: BatchIdempotency) =>
  keyed && rows.length > 0 ? keyed.seal(rows, answer) : rows;

/**
 * Records the batch's rows and returns its answer: without the customers whose rows the log
 * skipped because they were erased moments ago (each a failed item instead), kept so under a key.
 */
async function recordBatch(
  deps: DecisionDeps,
  rows: NewDecisionLogRow[],
  answer: BatchAnswer,
  keyed?: BatchIdempotency,
  boundWithout?: BoundWithout,
): Promise<BatchAnswer> {
  const without = (erased: ReadonlySet<string>) =>
    withoutErasedItems(answer, rows, erased, boundWithout);
  const amend = keyed && ((erased: ReadonlySet<string>) => keyed.amended(without(erased), erased));
  const { erased } = await recordOrRefuse(deps, rowsToRecord(rows, answer, keyed), amend);
  if (erased.size === 0) return answer;
  keyed?.refuseIfHolderErased(rows, erased);
  return without(erased);
}

/** An index known to be within its array (a customer's id, a scored customer's decision id). */
function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal error: no ${what}`);
  return value;
}

/** The forecasts of every customer, one item each (else ForecastUnavailableError). */
async function batchForecast(deps: DecisionDeps, body: BatchRequest): Promise<ForecastResponse> {
  const n = body.customers.length;
  const forecast = await deps.forecast.forecast(
    { horizon: body.horizon, customers: body.customers },
    { timeoutMs: deps.config.FORECAST_BATCH_TIMEOUT_MS },
  );
  if (forecast.forecasts.length !== n) {
    throw new ForecastUnavailableError(
      "bad_response",
      `forecast answered ${forecast.forecasts.length} items for ${n} customers`,
    );
  }
  return forecast;
}

/** Without a forecast: nobody is selected, all logged (in their campaign groups, if any). */
async function fallbackBatch(
  deps: DecisionDeps,
  policy: Policy,
  body: BatchRequest,
  batchId: string,
  err: ForecastUnavailableError,
  keyed?: BatchIdempotency,
): Promise<BatchAnswer> {
  const ids = body.customers.map((c) => c.id);
  const split = await splitCampaign(deps, policy, body, ids);
  const decisionIds = ids.map((_, i) => (keyed ? keyed.memberId(i, i === 0) : crypto.randomUUID()));
  const rows: NewDecisionLogRow[] = body.customers.map((c, i) => ({
    decisionId: decisionIds[i] as string,
    decidedAt: new Date(),
    customerId: c.id,
    inputs: { kind: "batch", batch_id: batchId, horizon: body.horizon, budget: body.budget },
    chosenAction: NO_ACTION,
    scores: {
      fallback: { reason: err.kind },
      ...(split?.groups[i] === "control" ? { reason: CONTROL_REASON } : {}),
      ...(split ? { campaign: campaignDetails(policy, body.actions, NO_ACTION, null, null) } : {}),
    },
    ...campaignColumns(split, split?.groups[i], NO_ACTION),
    policyName: policy.name,
    policyVersion: policy.version,
    modelName: "unavailable",
    modelVersion: 0,
  }));
  const answer: BatchAnswer = {
    batch_id: batchId,
    policy: { name: policy.name, version: policy.version },
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
    ...(split ? { campaign: campaignAnswer(split, ids, new Map(), decisionIds) } : {}),
  };
  return recordBatch(deps, rows, answer, keyed);
}

/** One customer scored: its outlook and the eligible actions with their expected profit. */
interface Scored {
  outlook: ResolvedOutlook;
  options: SelectionOption[];
}

type ItemError = BatchAnswer["errors"][number]["error"];

/** A customer's eligible options under the policy, or the error of its item. */
function scoreCustomer(
  policy: Policy,
  body: BatchRequest,
  customerId: string,
  item: ForecastResponse["forecasts"][number] | undefined,
): Scored | ItemError {
  if (!item || item.id !== customerId) {
    return { code: "forecast_mismatch", message: "no forecast for this customer" };
  }
  if (item.error) return { code: item.error.code, message: item.error.message };
  const outlook = outlookFor(policy.definition, item);
  if (!outlook) {
    return {
      code: "no_forecast",
      message: "the forecast gives no finite expected purchases for this customer",
    };
  }
  const options: SelectionOption[] = [];
  for (const asked of body.actions) {
    const action = withPolicyUplift(policy.definition, asked, outlook.pAlive);
    const profit = expectedProfit(policy.definition.profit_model, action, outlook);
    // Out of range (see unscorableMessage): the customer's own error, not silently left out.
    if (!Number.isFinite(profit))
      return { code: "not_computable", message: unscorableMessage(action.id, outlook) };
    if (ineligibilityReasons(policy.definition.rules, action, outlook, profit).length === 0) {
      options.push({ action: action.id, cost: action.cost, profit });
    }
  }
  // In id order: the selection keeps the first of options tied on profit and cost, and /decision
  // breaks that tie by id (rankActions), so both routes choose alike, in any request order.
  options.sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
  return { outlook, options };
}

/**
 * Selections within the budget: the treated group's, and the control group's shadow one. With
 * exploration the explored customers take their drawn actions first and the greedy selection
 * spends the rest on the others; `greedy` is, per explored customer, what the greedy selection
 * over every treated customer at the whole budget picked (its propensity's greedy action).
 */
function selectBatch(
  split: CampaignSplit | null,
  options: SelectionOption[][],
  budget: number,
  exploration: BatchExploration | null,
) {
  // The budget is the treated group's; the control customers' would-have actions come from a
  // shadow selection over everyone at that budget per treated customer (shadowBudget).
  const explored = exploration?.picks;
  const rest = explored ? options.map((list, i) => (explored.has(i) ? [] : list)) : options;
  const result = treatedSelection(split, rest, budget - (exploration?.cost ?? 0));
  const shadow = split ? selectWithinBudget(options, shadowBudget(split, budget)) : null;
  const control = shadow?.picks.filter((p) => split?.groups[p.index] === "control") ?? [];
  const whole = explored ? treatedSelection(split, options, budget) : null;
  return {
    result,
    picked: new Map(result.picks.map((p) => [p.index, p.option])),
    wouldHave: new Map(control.map((p) => [p.index, p.option])),
    greedy: new Map(whole?.picks.map((p) => [p.index, p.option.action]) ?? []),
  };
}

/** The selection the budget is spent on: over the treated group in a campaign, else everyone. */
const treatedSelection = (
  split: CampaignSplit | null,
  options: SelectionOption[][],
  budget: number,
) => selectWithinBudget(split ? optionsOfGroup(split, options, "treated") : options, budget);

/**
 * The selection's LP bound without the customers whose rows an erasure skipped (by decision id):
 * the same selection over the others' options, at the same budget. Exploring, that selection is
 * the greedy one (selectBatch): without the explored customers, at what exploration left of it.
 */
function boundWithout(
  split: CampaignSplit | null,
  options: SelectionOption[][],
  budget: number,
  decisionIds: ReadonlyArray<string | undefined>,
  exploration: BatchExploration | null,
): BoundWithout {
  return (erased) => {
    const left = options.map((list, i) =>
      exploration?.picks.has(i) || erased.has(decisionIds[i]?.toLowerCase() ?? "") ? [] : list,
    );
    return treatedSelection(split, left, budget - (exploration?.cost ?? 0)).lpUpperBound;
  };
}

/** The decision log row of scored customer i (`decisionId` already drawn). */
function batchRow(
  policy: Policy,
  body: BatchRequest,
  forecast: ForecastResponse,
  at: { batchId: string; decidedAt: Date; decisionId: string; customerId: string },
  chosen: {
    scored: Scored;
    pick: SelectionOption | undefined;
    shadow: SelectionOption | undefined;
    /** Exploration columns of the row (treated customers of an exploring campaign only). */
    explore?: Pick<NewDecisionLogRow, "explored" | "propensity">;
  },
  split: CampaignSplit | null,
  group: AssignmentGroup | undefined,
): NewDecisionLogRow {
  const { pick, scored } = chosen;
  const planned = pick ?? chosen.shadow;
  return {
    decisionId: at.decisionId,
    decidedAt: at.decidedAt,
    customerId: at.customerId,
    inputs: { kind: "batch", batch_id: at.batchId, horizon: body.horizon, budget: body.budget },
    chosenAction: pick?.action ?? NO_ACTION,
    scores: {
      options: scored.options,
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
              scored.outlook,
              planned?.profit ?? null,
            ),
          }
        : {}),
    },
    ...campaignColumns(split, group, planned?.action),
    ...chosen.explore,
    policyName: policy.name,
    policyVersion: policy.version,
    modelName: forecast.model.name,
    modelVersion: forecast.model.version,
  };
}

function selectionAnswer(result: SelectionResult, budget: number): BatchAnswer["selection"] {
  return {
    method: result.method,
    exact: result.exact,
    budget,
    lp_upper_bound: result.lpUpperBound,
    gap: result.gap,
    bound:
      result.method === "equal-cost-exact"
        ? "exact: all useful actions cost the same, the top customers by profit are optimal"
        : `total ≥ LP optimum − largest single-action profit (${result.maxSingleProfit}); ` +
          "the optimum lies between total and lp_upper_bound",
  };
}

/** Decides, records and answers a batch; `keyed` (an Idempotency-Key) fixes its ids. */
export async function decideBatch(
  deps: DecisionDeps,
  body: BatchRequest,
  keyed?: BatchIdempotency,
): Promise<BatchAnswer> {
  refuseEarlyUnlessRoom(deps, body.customers.length);
  const policy = await deps.policies.active();
  const batchId = keyed ? keyed.batchId : crypto.randomUUID();
  let forecast: ForecastResponse;
  try {
    forecast = await batchForecast(deps, body);
  } catch (err) {
    if (!(err instanceof ForecastUnavailableError)) throw err;
    if (isCallerError(err) || policy.definition.on_forecast_unavailable === "fail") {
      throw forecastFailureError(err, deps.forecast.breaker);
    }
    return fallbackBatch(deps, policy, body, batchId, err, keyed);
  }
  const errors: BatchAnswer["errors"] = [];
  const scored: Array<Scored | null> = body.customers.map((customer, i) => {
    const outcome = scoreCustomer(policy, body, customer.id, forecast.forecasts[i]);
    if ("options" in outcome) return outcome;
    errors.push({ id: customer.id, error: outcome });
    return null;
  });
  const ids = body.customers.map((c) => c.id);
  const decided = scored.map((s) => s !== null);
  const split = await splitCampaign(deps, policy, body, ids, decided);
  const options = scored.map((s) => s?.options ?? []);
  const share = body.exploration_share;
  const exploration = await drawExploration(deps, split, share, ids, options, body.budget);
  const { result, picked, wouldHave, greedy } = selectBatch(
    split,
    options,
    body.budget,
    exploration,
  );
  const decisionIds: Array<string | undefined> = [];
  const rows: NewDecisionLogRow[] = [];
  const decidedAt = new Date();
  scored.forEach((s, i) => {
    if (!s) return;
    const decisionId = keyed ? keyed.memberId(i, rows.length === 0) : crypto.randomUUID();
    decisionIds[i] = decisionId;
    const at = { batchId, decidedAt, decisionId, customerId: defined(ids[i], "customer id") };
    const pick = exploration?.picks.get(i) ?? picked.get(i);
    const greedyAction = exploration?.picks.has(i) ? greedy.get(i) : picked.get(i)?.action;
    const logged = pick?.action ?? NO_ACTION;
    const explore = explorationColumns(
      exploration,
      split?.groups[i],
      i,
      s.options,
      logged,
      greedyAction ?? NO_ACTION,
    );
    const chosen = { scored: s, pick, shadow: wouldHave.get(i), explore };
    rows.push(batchRow(policy, body, forecast, at, chosen, split, split?.groups[i]));
  });
  const selected = [...result.picks, ...exploredPicks(exploration)].map((p) => ({
    id: defined(ids[p.index], "customer id"),
    action: p.option.action,
    cost: p.option.cost,
    expected_profit: p.option.profit,
    decision_id: defined(decisionIds[p.index], "decision id"),
  }));
  const answer: BatchAnswer = {
    batch_id: batchId,
    policy: { name: policy.name, version: policy.version },
    selected,
    // Exploring, the greedy and explored picks summed as one (selectedTotals).
    totals: exploration
      ? selectedTotals(selected)
      : {
          customers: result.picks.length,
          cost: result.totalCost,
          expected_profit: result.totalProfit,
        },
    selection: selectionAnswer(result, body.budget),
    considered: rows.length,
    errors,
    model: { name: forecast.model.name, version: forecast.model.version },
    ...(split ? { campaign: campaignAnswer(split, ids, wouldHave, decisionIds, exploration) } : {}),
  };
  const bound = boundWithout(split, options, body.budget, decisionIds, exploration);
  return recordBatch(deps, rows, answer, keyed, bound);
}

/** The campaign part of a batch's answer: each control customer decided on (with a decision id). */
function campaignAnswer(
  split: CampaignSplit,
  ids: readonly string[],
  wouldHave: Map<number, SelectionOption>,
  decisionIds: ReadonlyArray<string | undefined>,
  exploration?: BatchExploration | null,
): CampaignAnswer {
  const control: CampaignAnswer["control"] = [];
  split.groups.forEach((g, i) => {
    if (g !== "control" || !decisionIds[i]) return;
    control.push({
      id: defined(ids[i], "customer id"),
      reason: CONTROL_REASON,
      would_have_action: wouldHave.get(i)?.action ?? NO_ACTION,
      decision_id: defined(decisionIds[i], "decision id"),
    });
  });
  return {
    id: split.id,
    control_share: split.controlShare,
    groups: { treated: split.treated, control: split.control },
    control,
    ...(exploration
      ? { exploration: { share: exploration.share, explored: exploration.picks.size } }
      : {}),
  };
}

/** The explored customers' picks, in customer order, as the selection's picks read. */
const exploredPicks = (exploration: BatchExploration | null) =>
  [...(exploration?.picks ?? [])]
    .sort(([a], [b]) => a - b)
    .map(([index, option]) => ({ index, option }));
