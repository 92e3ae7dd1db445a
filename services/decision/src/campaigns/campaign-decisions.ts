// Campaign hooks of the decision flow: which share is held out, who is in the control group, the
// budget split (the request's budget is for the treated; the control customers get a shadow
// selection with the budget scaled by control/treated, so "the action they would have received"
// is picked under the same profit threshold as the treated), and the log columns of each row.
import { CampaignSecretMismatchError } from "@pp/shared/campaigns/campaign-shares.ts";
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import type { SelectionOption } from "@pp/shared/policy/budgeted-selection.ts";
import type { AssignmentGroup } from "@pp/shared/policy/control-assignment.ts";
import { type CandidateAction, upliftBase } from "@pp/shared/policy/expected-profit.ts";
import type { ActivePolicy } from "@pp/shared/policy/policy-definition.ts";
import { withPolicyUplift } from "@pp/shared/policy/policy-uplift.ts";
import { NO_ACTION } from "@pp/shared/policy/rank-actions.ts";
import { readForDecisions } from "../decisions/decision-read.ts";
import type { ResolvedOutlook } from "../decisions/forecast-outlook.ts";
import type { DecisionDeps } from "../deps.ts";

/** Held out when neither the request nor the policy gives a control share. */
const DEFAULT_CONTROL_SHARE = 0.1;
export const CONTROL_REASON = "control group";

export interface CampaignRequest {
  campaign?: string | undefined;
  control_share?: number | undefined;
}

export interface CampaignSplit {
  id: string;
  controlShare: number;
  groups: AssignmentGroup[];
  treated: number;
  control: number;
}

function controlShareFor(policy: ActivePolicy, body: CampaignRequest): number {
  return body.control_share ?? policy.definition.control_share ?? DEFAULT_CONTROL_SHARE;
}

/**
 * The groups of the customers (null without a campaign), counted over those decided on
 * (`decided[i]`, default all): a customer the forecast refused has no row in either group, and
 * counted as treated it shrank the control group's shadow budget (30 refused of 40 "treated"
 * left the control group a quarter of its budget).
 */
export async function splitCampaign(
  deps: DecisionDeps,
  policy: ActivePolicy,
  body: CampaignRequest,
  customerIds: readonly string[],
  decided?: ReadonlyArray<boolean>,
): Promise<CampaignSplit | null> {
  if (!body.campaign) return null;
  const share = controlShareFor(policy, body);
  // A batch that decides nobody logs nothing, so it must not start the campaign: it pinned the
  // share, and the campaign's real first batch at another share was refused.
  const pin = !decided || decided.some(Boolean);
  const controlShare = await pinnedShare(deps, body.campaign, share, body, customerIds.length, pin);
  const groups = await deps.campaigns.groups(body.campaign, customerIds, controlShare);
  let [treated, control] = [0, 0];
  groups.forEach((g, i) => {
    if (decided && !decided[i]) return;
    if (g === "control") control++;
    else treated++;
  });
  return { id: body.campaign, controlShare, groups, treated, control };
}

/**
 * The campaign's share, pinned at its first decision (shared/campaigns/campaign-shares.ts). A request naming
 * another share is a 409; a policy's share that changed since is overridden by the pinned one.
 * Without `pin` (nobody is decided) a campaign not started yet keeps `share` unpinned.
 */
async function pinnedShare(
  deps: DecisionDeps,
  campaign: string,
  share: number,
  body: CampaignRequest,
  customers: number,
  pin: boolean,
): Promise<number> {
  const pinned = await readForDecisions(deps, {
    customers,
    what: "reading the campaign's share",
    refusal: "Decision log unavailable: cannot read the campaign's control share; retry shortly",
    read: () =>
      (pin ? deps.campaignShares.pin(campaign, share) : deps.campaignShares.pinned(campaign)).catch(
        (err) => {
          if (!(err instanceof CampaignSecretMismatchError)) throw err;
          throw new AppError("conflict", err.message, {
            details: [{ path: "campaign", message: "logged under another CAMPAIGN_SECRET" }],
          });
        },
      ),
  });
  if (!pinned) return share;
  if (body.control_share === undefined || body.control_share === pinned.share) return pinned.share;
  const since = pinned.startedAt.toISOString();
  throw new AppError(
    "conflict",
    `Campaign "${campaign}" holds out ${pinned.share} of its customers since its first decision (${since}): ` +
      `its control share cannot change (customers would move between its groups); pass control_share ${pinned.share} or start a new campaign`,
    { details: [{ path: "control_share", message: `the campaign's share is ${pinned.share}` }] },
  );
}

/** Options of one group only (the other group's customers get none). */
export function optionsOfGroup(
  split: CampaignSplit,
  options: SelectionOption[][],
  group: AssignmentGroup,
): SelectionOption[][] {
  return options.map((list, i) => (split.groups[i] === group ? list : []));
}

/**
 * The budget of the shadow selection that names the control customers' would-have actions: the
 * treated budget per treated customer, for every customer decided on. The shadow selection runs
 * over both groups (only its control picks are used), so its profit threshold is set mostly by
 * the same customers as the treated selection's. Run over the control group alone at budget ×
 * control/treated, small batches floored it: a budget of 6 emails for 80 treated left the 20
 * control customers 1.5 emails, so 1, their best: over 50 such batches 5.2% of the control
 * customers against 7.5% of the treated, whose comparison arm was then the better customers.
 */
export function shadowBudget(split: CampaignSplit, budget: number): number {
  return split.treated > 0 ? (budget * (split.treated + split.control)) / split.treated : budget;
}

/** What the measurement needs of one decision: the action's terms and the forecast behind it. */
export function campaignDetails(
  policy: ActivePolicy,
  actions: readonly CandidateAction[],
  actionId: string,
  outlook: ResolvedOutlook | null,
  expectedProfit: number | null,
): Record<string, unknown> {
  const asked = actions.find((a) => a.id === actionId);
  const pAlive = outlook && Number.isFinite(outlook.pAlive) ? outlook.pAlive : null;
  const action = asked ? withPolicyUplift(policy.definition, asked, pAlive ?? Number.NaN) : null;
  return {
    action: actionId,
    cost: action?.cost ?? 0,
    margin: action?.margin ?? 0,
    uplift: action?.uplift ?? 0,
    expected_profit: expectedProfit ?? 0,
    expected_purchases: outlook?.expectedPurchases ?? null,
    p_alive: pAlive,
    // What the uplift multiplies under the policy's profit model: the report measures against it.
    uplift_base: outlook ? upliftBase(policy.definition.profit_model, outlook) : null,
  };
}

/** The decision_log columns of a campaign decision. */
export function campaignColumns(
  split: CampaignSplit | null,
  group: AssignmentGroup | undefined,
  wouldHave: string | undefined,
): Pick<NewDecisionLogRow, "campaignId" | "assignmentGroup" | "wouldHaveAction"> {
  if (!split || !group) return {};
  return { campaignId: split.id, assignmentGroup: group, wouldHaveAction: wouldHave ?? NO_ACTION };
}
