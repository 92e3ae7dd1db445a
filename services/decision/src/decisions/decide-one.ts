// One decision: forecast the customer, rank the actions under the active policy, record the
// decision in the log (or refuse with 503 when the log cannot take it), and answer.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import type { AssignmentGroup } from "@pp/shared/policy/control-assignment.ts";
import { forecastFreeReasons } from "@pp/shared/policy/eligibility.ts";
import type { ActivePolicy } from "@pp/shared/policy/policy-definition.ts";
import { NO_ACTION, type RankedAction, rankActions } from "@pp/shared/policy/rank-actions.ts";
import {
  type CampaignSplit,
  CONTROL_REASON,
  campaignColumns,
  campaignDetails,
  splitCampaign,
} from "../campaigns/campaign-decisions.ts";
import type { DecisionDeps } from "../deps.ts";
import type { CustomerForecast, ForecastResponse } from "../forecast-client/forecast-contract.ts";
import { ForecastUnavailableError, isCallerError } from "../forecast-client/forecast-errors.ts";
import type { DecisionRequest } from "../routes/decision-schemas.ts";
import { forecastFailureError } from "./forecast-failure.ts";
import { outlookFor, type ResolvedOutlook, unscorableMessage } from "./forecast-outlook.ts";
import { erasedCustomerError, recordOrRefuse, refuseEarlyUnlessRoom } from "./record-decisions.ts";

export interface DecisionAnswer {
  decision_id: string;
  customer_id: string;
  chosen: string;
  ranked: Array<Omit<RankedAction, "expected_profit"> & { expected_profit: number | null }>;
  policy: { name: string; version: number };
  model: { name: string; version: number } | null;
  forecast: { model: string; expected_purchases: number; p_alive: number | null } | null;
  fallback?: { reason: string; message: string };
  /** With a campaign: the group, and for control customers the action they would have got. */
  campaign?: {
    id: string;
    control_share: number;
    group: AssignmentGroup;
    would_have_action: string;
  };
}

function fallbackAnswer(
  policy: ActivePolicy,
  body: DecisionRequest,
  err: ForecastUnavailableError,
): DecisionAnswer {
  const wanted = body.actions.find((a) => a.id === policy.definition.default_action);
  // The rules a default action can be held to without a forecast still hold (max_cost).
  const refused = wanted ? forecastFreeReasons(policy.definition.rules, wanted) : [];
  const chosen = wanted && refused.length === 0 ? wanted.id : NO_ACTION;
  // Ids match exactly: a default the request does not offer ("EMAIL-10PCT" for email-10pct) is
  // said, not silently replaced by none; so is one its rules refuse (the note named "none" as
  // the policy's default action).
  const asked = policy.definition.default_action;
  const why = wanted
    ? refused.length > 0
      ? ` ("${asked}" is refused: ${refused.join("; ")})`
      : ""
    : asked === NO_ACTION
      ? ""
      : ` ("${asked}" is not among the actions offered)`;
  const note = `fallback: forecast unavailable (${err.kind}); policy default action "${chosen}"${why}`;
  const ids = [
    chosen,
    ...[NO_ACTION, ...body.actions.map((a) => a.id)].filter((id) => id !== chosen),
  ];
  const cost = new Map(body.actions.map((a) => [a.id, a.cost]));
  const reasonsOf = (id: string) =>
    id === chosen
      ? [note]
      : id === wanted?.id
        ? [...refused, "not scored: forecast unavailable"]
        : ["not scored: forecast unavailable"];
  return {
    decision_id: crypto.randomUUID(),
    customer_id: body.customer.id,
    chosen,
    ranked: ids.map((id) => ({
      id,
      expected_profit: null,
      eligible: id === chosen,
      reasons: reasonsOf(id),
      cost: cost.get(id) ?? 0,
    })),
    policy: { name: policy.name, version: policy.version },
    model: null,
    forecast: null,
    fallback: { reason: err.kind, message: err.message },
  };
}

/** Puts the campaign into the answer; a control customer is answered "none" ("control group"). */
function applyCampaign(answer: DecisionAnswer, split: CampaignSplit): void {
  const group = split.groups[0] as AssignmentGroup;
  answer.campaign = {
    id: split.id,
    control_share: split.controlShare,
    group,
    would_have_action: answer.chosen,
  };
  if (group !== "control") return;
  const none = answer.ranked.find((r) => r.id === NO_ACTION);
  none?.reasons.push(
    `${CONTROL_REASON}: held out of campaign "${split.id}" (would have: ${answer.chosen})`,
  );
  // The action held back said "chosen: …" beside an answer of none.
  const held = answer.ranked.find((r) => r.id === answer.chosen && r.id !== NO_ACTION);
  if (held) {
    held.reasons = held.reasons.map((r) =>
      r.startsWith("chosen: ")
        ? `not chosen: held out of campaign "${split.id}" (${CONTROL_REASON}); it would have been: ${r.slice("chosen: ".length)}`
        : r,
    );
  }
  answer.chosen = NO_ACTION;
}

/** The forecast's item for the customer, or the caller's error (404, 422, 400) it stands for. */
function customerItem(forecast: ForecastResponse, customerId: string): CustomerForecast {
  const item = forecast.forecasts[0];
  if (!item || item.id !== customerId) {
    throw new ForecastUnavailableError("bad_response", "forecast answer lacks the customer");
  }
  if (item.error) {
    // Unknown: 404. Valid but not computable by the models: 422. Anything else: 400.
    const code = item.error.code.includes("unknown")
      ? "unknown_customer"
      : item.error.code === "not_computable" || item.error.code === "invalid_customer"
        ? "unprocessable"
        : "bad_request";
    throw new AppError(code, `Customer "${customerId}": ${item.error.message}`, {
      details: [{ path: "customer", message: `${item.error.code}: ${item.error.message}` }],
    });
  }
  return item;
}

/** The answer ranked on the customer's forecast (throws ForecastUnavailableError when there is none). */
async function forecastAnswer(
  deps: DecisionDeps,
  policy: ActivePolicy,
  body: DecisionRequest,
): Promise<{ answer: DecisionAnswer; outlook: ResolvedOutlook }> {
  const forecast = await deps.forecast.forecast({
    horizon: body.horizon,
    customers: [body.customer],
  });
  const item = customerItem(forecast, body.customer.id);
  const outlook = outlookFor(policy.definition, item);
  if (!outlook) {
    // The forecast service is fine; this customer's figures are not usable (null, NaN, ∞).
    throw new AppError(
      "unprocessable",
      `Customer "${body.customer.id}": the forecast gives no finite expected purchases, so no action can be scored`,
      {
        details: [{ path: "customer", message: "no finite expected purchases in the forecast" }],
      },
    );
  }
  const ranking = rankActions(policy.definition, body.actions, outlook);
  const overflow = ranking.ranked.find((r) => !Number.isFinite(r.expected_profit));
  if (overflow) {
    // Finite figures at the edge of double range (P(alive) 1e-300 under lapsing-uplift, 1e307
    // expected purchases) give an infinite or NaN profit: answered, it was null and chosen.
    const message = unscorableMessage(overflow.id, outlook);
    throw new AppError("unprocessable", `Customer "${body.customer.id}": ${message}`, {
      details: [{ path: "customer", message }],
    });
  }
  if (outlook.notes.length > 0) ranking.ranked[0]?.reasons.push(...outlook.notes);
  const answer: DecisionAnswer = {
    decision_id: crypto.randomUUID(),
    customer_id: body.customer.id,
    chosen: ranking.chosen,
    ranked: ranking.ranked,
    policy: { name: policy.name, version: policy.version },
    model: { name: forecast.model.name, version: forecast.model.version },
    forecast: {
      model: outlook.model,
      expected_purchases: outlook.expectedPurchases,
      p_alive: Number.isFinite(outlook.pAlive) ? outlook.pAlive : null,
    },
  };
  return { answer, outlook };
}

/** The decision log row of an answer (`planned`: the action before a control hold-out). */
function decisionRecord(
  policy: ActivePolicy,
  body: DecisionRequest,
  answer: DecisionAnswer,
  campaign: { split: CampaignSplit | null; planned: string; outlook: ResolvedOutlook | null },
): NewDecisionLogRow {
  const { split, planned, outlook } = campaign;
  return {
    decisionId: answer.decision_id,
    decidedAt: new Date(),
    customerId: answer.customer_id,
    inputs: {
      kind: "single",
      customer: body.customer,
      horizon: body.horizon,
      actions: body.actions,
    },
    chosenAction: answer.chosen,
    scores: {
      ranked: answer.ranked.map((r) => ({
        id: r.id,
        expected_profit: r.expected_profit,
        eligible: r.eligible,
      })),
      forecast: answer.forecast,
      ...(answer.fallback ? { fallback: answer.fallback } : {}),
      ...(split
        ? {
            ...(split.groups[0] === "control" ? { reason: CONTROL_REASON } : {}),
            campaign: campaignDetails(
              policy,
              body.actions,
              planned,
              outlook,
              answer.ranked.find((r) => r.id === planned)?.expected_profit ?? null,
            ),
          }
        : {}),
    },
    ...campaignColumns(split, split?.groups[0], planned),
    policyName: answer.policy.name,
    policyVersion: answer.policy.version,
    modelName: answer.model?.name ?? "unavailable",
    modelVersion: answer.model?.version ?? 0,
  };
}

/**
 * A decision under an Idempotency-Key (idempotent-decision.ts): its fixed id, and how its row
 * keeps the answer (that module owns the format, for single decisions and batches alike).
 */
export interface SingleIdempotency {
  decisionId: string;
  seal(rows: NewDecisionLogRow[], answer: DecisionAnswer): NewDecisionLogRow[];
}

/** Decides, records and answers; `keyed` (an Idempotency-Key) fixes the decision id. */
export async function decideOne(
  deps: DecisionDeps,
  body: DecisionRequest,
  keyed?: SingleIdempotency,
): Promise<DecisionAnswer> {
  refuseEarlyUnlessRoom(deps, 1);
  const policy = await deps.policies.active();
  let answer: DecisionAnswer;
  let outlook: ResolvedOutlook | null = null;
  try {
    ({ answer, outlook } = await forecastAnswer(deps, policy, body));
  } catch (err) {
    if (!(err instanceof ForecastUnavailableError)) throw err;
    if (isCallerError(err) || policy.definition.on_forecast_unavailable === "fail") {
      throw forecastFailureError(err, deps.forecast.breaker);
    }
    answer = fallbackAnswer(policy, body, err);
  }
  // A fallback too: its default action must not reach a customer held out as control.
  const split = await splitCampaign(deps, policy, body, [body.customer.id]);
  if (keyed) answer.decision_id = keyed.decisionId;
  const planned = answer.chosen;
  if (split) applyCampaign(answer, split);
  const rows = [decisionRecord(policy, body, answer, { split, planned, outlook })];
  const { erased } = await recordOrRefuse(deps, keyed ? keyed.seal(rows, answer) : rows);
  // Not logged (its customer erased moments ago): a 200 would be an unrecorded decision.
  if (erased.size > 0) throw erasedCustomerError(body.customer.id);
  return answer;
}
