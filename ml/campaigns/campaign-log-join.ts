// Joins a campaign's decisions (from decision_log) with the purchases that followed: each customer's
// first decision in the campaign fixes its group, its first contact (else that first decision) its
// (would-have) action with the terms the decision assumed, and its decision day; purchase days and spend are counted in
// (decision day, window end]. The result is the observations `measureCampaign` reads.
import { lowerCaseCustomerId, nfcCustomerId } from "@pp/shared/contracts/forecast-request.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { addCompensated } from "@pp/shared/numeric/compensated-sum.ts";
import { nfcActionId } from "@pp/shared/policy/action-id.ts";
import { storedPolicyDefinitionSchema } from "@pp/shared/policy/policy-definition.ts";
import {
  type CampaignDecisionRow,
  readCampaignDecisionRows,
} from "@pp/shared/registry/decision-log-reads.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import type { TransactionLog } from "../data/transaction-log.ts";
import { zonedDay } from "../data/zoned-day.ts";
import { type CampaignObservations, emptyObservations } from "./campaign-observations.ts";

export interface CampaignDecision {
  customerId: string;
  decidedDay: number;
  group: "treated" | "control";
  action: string;
  cost: number;
  margin: number;
  uplift: number;
  expectedProfit: number;
  expectedPurchases: number;
  /** What the uplift multiplied (decisions logged before it was recorded: expected purchases). */
  upliftBase: number;
  pAlive: number;
  /** The horizon the decision was made for, in days (NaN when not logged). */
  horizonDays: number;
  /** The profit model of the policy version that decided ("unknown" when that version is gone). */
  profitModel?: string;
  /** With an exploration share: whether its action was explored, and its logged propensity. */
  explored?: boolean;
  propensity?: number;
  /** The eligible actions the decision logged (`scores.options`), for the explored estimates. */
  eligible?: string[];
  /** Later contacts of a customer first decided treated (another wave): their days and costs. */
  laterContacts?: Array<{ day: number; cost: number; action: string }>;
}

/** A logged request's horizon in days: {value, unit: "day" | "week"}, else NaN. */
function horizonDaysOf(inputs: Record<string, unknown>): number {
  const h = inputs.horizon as { value?: unknown; unit?: unknown } | undefined;
  const value = num(h?.value, Number.NaN);
  return h?.unit === "week" ? value * 7 : h?.unit === "day" ? value : Number.NaN;
}

const num = (v: unknown, fallback: number) =>
  typeof v === "number" && Number.isFinite(v) ? v : fallback;

/**
 * One decision per customer of `campaign`, in the order of their first decisions: its first
 * contact (its first decision with an action other than none; a control customer's would-have
 * action), else its first decision. A customer answered none in a first wave and contacted in a
 * second is measured under that contact, from its day, as is a control customer whose shadow
 * action came later; kept at the first decision, that contact's cost and effect counted nowhere
 * (probe: 40 of 247 contacted customers measured).
 * The group is the first decision's; a customer logged in both groups is left out (counted in
 * `switchedCustomers`). `repeats` counts the other decisions; a later decision that
 * contacted a treated customer again is kept as a later contact (its cost is the campaign's; left
 * out, a second wave's contacts were free). With `ignoreIdCase` (the purchases read with
 * --ignore-id-case) ids are lower-cased, as the log's are. With `timezone` (the purchases read
 * with --timezone) a decision's day is the shop's day too. With `before` (the window's last day)
 * decisions on or after that day are left out before anything else (counted in `late`): a
 * customer's later decision must not change its group or action inside the window.
 */
export async function readCampaignDecisions(
  db: Database,
  campaign: string,
  options: { ignoreIdCase?: boolean; timezone?: string; before?: number } = {},
): Promise<{
  decisions: CampaignDecision[];
  repeats: number;
  switched: number;
  /** Customers logged in both groups: left out of `decisions` (of both arms). */
  switchedCustomers: number;
  /** Of them, those logged under a decomposed (non-NFC) id: split on the id as sent before. */
  switchedDecomposed: number;
  /** Decisions on or after day `before`, left out; and the day of the last decision read. */
  late: number;
  lastDay: number;
}> {
  // Actions in NFC, as /decision reads action ids: one logged decomposed before is the same action.
  const rows = (await readCampaignDecisionRows(db, campaign)).map((row) =>
    row.wouldHave === null ? row : { ...row, wouldHave: nfcActionId(row.wouldHave) },
  );
  const profitModelOf = profitModels(db);
  const decisions: CampaignDecision[] = [];
  const position = new Map<string, number>();
  // A customer's group changes when it was decided under another CAMPAIGN_SECRET, or when the
  // control share changed between decisions (campaigns started before shares were pinned).
  let switched = 0;
  const switchedIds = new Set<string>();
  const decomposed = new Set<string>();
  let late = 0;
  let lastDay = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const day = zonedDay(row.decidedAt, options.timezone);
    if (options.before !== undefined && day >= options.before) {
      late++;
      continue;
    }
    if (day > lastDay) lastDay = day;
    // In NFC, as the log readers store ids ("José" decided on decomposed bought composed).
    const id = nfcCustomerId(row.customerId);
    // Lower-cased as the log readers do ("İ" is "i", every "Σ" "σ"), to meet their purchases.
    const customerId = options.ignoreIdCase ? lowerCaseCustomerId(id) : id;
    if (id !== row.customerId) decomposed.add(customerId);
    const contacted = row.wouldHave !== null && row.wouldHave !== "none";
    const i = position.get(customerId);
    const earlier = i === undefined ? undefined : decisions[i];
    if (i === undefined || earlier === undefined) {
      position.set(customerId, decisions.length);
      decisions.push(await decisionOf(row, customerId, profitModelOf, options.timezone));
    } else if (earlier.group !== row.group) {
      switched++;
      switchedIds.add(customerId);
    } else if (earlier.action === "none" && contacted) {
      decisions[i] = await decisionOf(row, customerId, profitModelOf, options.timezone);
    } else if (earlier.group === "treated" && contacted) {
      const later = earlier.laterContacts ?? [];
      later.push({
        day,
        cost: num(campaignDetailsOf(row).cost, 0),
        action: row.wouldHave ?? "none",
      });
      earlier.laterContacts = later;
    }
  }
  // Held out and treated both: neither arm's customer. Which customers switch is the other
  // secret's (or share's) draw, not their buying, so leaving them out keeps the arms comparable;
  // counted in their first group, 53 customers held out then treated were measured as control.
  const kept =
    switchedIds.size > 0 ? decisions.filter((d) => !switchedIds.has(d.customerId)) : decisions;
  return {
    decisions: kept,
    repeats: rows.length - late - decisions.length,
    switched,
    switchedCustomers: switchedIds.size,
    switchedDecomposed: [...switchedIds].filter((id) => decomposed.has(id)).length,
    late,
    lastDay,
  };
}

const campaignDetailsOf = (row: CampaignDecisionRow): Record<string, unknown> =>
  ((row.scores as { campaign?: Record<string, unknown> }).campaign ?? {}) as Record<
    string,
    unknown
  >;

/** A logged campaign decision as the report reads it: group, (would-have) action and its terms. */
async function decisionOf(
  row: CampaignDecisionRow,
  customerId: string,
  profitModelOf: (name: string, version: number) => Promise<string>,
  timezone: string | undefined,
): Promise<CampaignDecision> {
  const details = campaignDetailsOf(row);
  return {
    customerId,
    decidedDay: zonedDay(row.decidedAt, timezone),
    group: row.group === "control" ? "control" : "treated",
    action: row.wouldHave ?? "none",
    cost: num(details.cost, 0),
    margin: num(details.margin, 0),
    uplift: num(details.uplift, 0),
    expectedProfit: num(details.expected_profit, 0),
    expectedPurchases: num(details.expected_purchases, 0),
    upliftBase: num(details.uplift_base, num(details.expected_purchases, 0)),
    pAlive: num(details.p_alive, Number.NaN),
    horizonDays: horizonDaysOf(row.inputs ?? {}),
    profitModel: await profitModelOf(row.policyName, row.policyVersion),
    ...explorationOf(row),
  };
}

/** The exploration terms of a row logged with a propensity (none: logged without exploration). */
function explorationOf(row: CampaignDecisionRow): Partial<CampaignDecision> {
  const options = (row.scores as { options?: unknown }).options;
  const eligible = Array.isArray(options)
    ? options.flatMap((o) => {
        const id = (o as { action?: unknown } | null)?.action;
        return typeof id === "string" ? [nfcActionId(id)] : [];
      })
    : undefined;
  if (row.propensity === null && row.explored === null) return eligible ? { eligible } : {};
  return {
    explored: row.explored === true,
    propensity: row.propensity ?? Number.NaN,
    ...(eligible ? { eligible } : {}),
  };
}

/** The profit model of a policy version (its units of uplift), each version read once. */
function profitModels(db: Database): (name: string, version: number) => Promise<string> {
  const store = new PolicyStore(db);
  const known = new Map<string, Promise<string>>();
  return (name, version) => {
    const key = `${version}@${name}`;
    let model = known.get(key);
    if (!model) {
      model = store.get(name, version).then((row) => {
        const parsed = row ? storedPolicyDefinitionSchema.safeParse(row.definition) : null;
        return parsed?.success ? parsed.data.profit_model : "unknown";
      });
      known.set(key, model);
    }
    return model;
  };
}

/** First contact's action → later contact's action → those later contacts and their cost. */
export type LaterContactsByAction = Map<string, Map<string, { contacts: number; cost: number }>>;

function countLaterContact(
  byAction: LaterContactsByAction,
  first: string,
  later: { action: string; cost: number },
) {
  const counts = byAction.get(first) ?? new Map<string, { contacts: number; cost: number }>();
  const c = counts.get(later.action) ?? { contacts: 0, cost: 0 };
  c.contacts++;
  c.cost += later.cost;
  counts.set(later.action, c);
  byAction.set(first, counts);
}

/** How the window met the decisions' horizons (customers whose decision logged one). */
export interface HorizonCoverage {
  /** Customers whose horizon runs past the window's end: measured over part of it. */
  partial: number;
  /** Mean share of the horizon the window covers, over customers with a horizon (1: all of it). */
  meanCoverage: number;
  /** Customers whose horizon ended before the window did: purchases after it not counted. */
  cutAtHorizon: number;
}

type LaterContactTotals = { count: number; cost: number; byAction: LaterContactsByAction };

/** Adds decision i's later contacts before `endDay` to its cost and to the totals. */
function addLaterContacts(
  o: CampaignObservations,
  i: number,
  d: CampaignDecision,
  endDay: number,
  totals: LaterContactTotals,
): void {
  for (const contact of d.laterContacts!) {
    if (contact.day >= endDay) continue;
    o.cost[i] = o.cost[i]! + contact.cost;
    totals.count++;
    totals.cost += contact.cost;
    countLaterContact(totals.byAction, d.action, contact);
  }
}

/**
 * The decisions' terms into `o` (one plain loop: it runs once per customer, ahead of the purchases
 * join), with each customer's counted days (firstDay, lastCounted] and the horizons' coverage.
 */
function decisionTerms(
  o: CampaignObservations,
  decisions: readonly CampaignDecision[],
  actionIndex: ReadonlyMap<string, number>,
  endDay: number,
) {
  const n = decisions.length;
  const firstDay = new Float64Array(n);
  const lastCounted = new Float64Array(n);
  const coverage: HorizonCoverage = { partial: 0, meanCoverage: 0, cutAtHorizon: 0 };
  let withHorizon = 0;
  // Σ shares compensated (Neumaier): a plain running sum of 6,000 shares of 31/91 gave a mean of
  // 0.3406593406593722, written to campaign.json as horizon_coverage, for 31/91 = 0.34065934065934067.
  const shares = new Float64Array(2);
  const laterContacts: LaterContactTotals = { count: 0, cost: 0, byAction: new Map() };
  for (let i = 0; i < n; i++) {
    const d = decisions[i]!;
    o.action[i] = actionIndex.get(d.action) ?? -1;
    o.treated[i] = d.group === "treated" ? 1 : 0;
    o.margin[i] = d.margin;
    o.cost[i] = d.cost;
    // Purchases after a later contact are counted with the first decision's: so is its cost.
    if (d.laterContacts !== undefined) addLaterContacts(o, i, d, endDay, laterContacts);
    o.assumedUplift[i] = d.uplift;
    firstDay[i] = d.decidedDay;
    const horizon = d.horizonDays;
    let share = 1;
    if (horizon > 0) {
      share = Math.min(1, (endDay - d.decidedDay) / horizon);
      lastCounted[i] = Math.min(endDay, d.decidedDay + horizon);
      withHorizon++;
      addCompensated(shares, 0, share);
      if (share < 1) coverage.partial++;
      else if (lastCounted[i]! < endDay) coverage.cutAtHorizon++;
    } else lastCounted[i] = endDay;
    o.upliftBase[i] = d.upliftBase * share;
    o.predictedProfit[i] = d.expectedProfit;
    o.pAlive[i] = d.pAlive;
  }
  coverage.meanCoverage = withHorizon > 0 ? (shares[0]! + shares[1]!) / withHorizon : 1;
  if (decisions.some((d) => d.propensity !== undefined))
    o.exploration = explorationTerms(decisions, actionIndex);
  return { firstDay, lastCounted, coverage, laterContacts };
}

/** The observations' exploration columns (campaign-observations.ts), from the decisions. */
function explorationTerms(
  decisions: readonly CampaignDecision[],
  actionIndex: ReadonlyMap<string, number>,
): NonNullable<CampaignObservations["exploration"]> {
  return {
    explored: Uint8Array.from(decisions, (d) => (d.explored ? 1 : 0)),
    propensity: Float64Array.from(decisions, (d) => d.propensity ?? Number.NaN),
    eligible: decisions.map((d) =>
      (d.eligible ?? []).flatMap((id) => {
        const k = actionIndex.get(id);
        return k === undefined ? [] : [k];
      }),
    ),
  };
}

/**
 * Observations of the decisions with purchase days and spend in (decided day, end], where end is
 * the window's end or, sooner, the end of the horizon the decision was made for: the uplift is a
 * change in purchases over that horizon. A horizon the window covers only in part has its uplift
 * base (expected purchases over the horizon) scaled by the share covered; measured against the
 * whole base, a 30-day window of a 91-day horizon read a true uplift of 0.5 as 0.18.
 */
export function joinPurchases(
  decisions: readonly CampaignDecision[],
  log: TransactionLog,
  endDay: number,
): {
  observations: CampaignObservations;
  transactions: number;
  unknownCustomers: number;
  coverage: HorizonCoverage;
  /**
   * Later contacts counted in their customer's cost (those before the window's last day); per
   * action of the first contact, by the later contact's action.
   */
  laterContacts: LaterContactTotals;
} {
  const actions = [...new Set(decisions.map((d) => d.action).filter((a) => a !== "none"))].sort();
  const actionIndex = new Map(actions.map((a, k) => [a, k]));
  const o = emptyObservations(decisions.length, actions);
  const position = new Map<string, number>();
  for (let i = 0; i < decisions.length; i++) position.set(decisions[i]!.customerId, i);
  const { firstDay, lastCounted, coverage, laterContacts } = decisionTerms(
    o,
    decisions,
    actionIndex,
    endDay,
  );
  const logPosition = log.customerIds.map((id) => position.get(id) ?? -1);
  const lastDay = new Int32Array(decisions.length).fill(-2_147_483_648);
  // Rows are not sorted by day: count distinct days per customer with a small set when needed.
  const days = new Map<number, Set<number>>();
  let transactions = 0;
  for (let row = 0; row < log.length; row++) {
    const i = logPosition[log.customer[row]!]!;
    if (i < 0) continue;
    const day = log.day[row]!;
    if (day <= firstDay[i]! || day > lastCounted[i]!) continue;
    transactions++;
    o.spend[i] = o.spend[i]! + log.amount[row]!;
    if (lastDay[i] === day) continue;
    let set = days.get(i);
    if (!set) {
      set = new Set();
      days.set(i, set);
    }
    if (!set.has(day)) {
      set.add(day);
      o.purchases[i] = o.purchases[i]! + 1;
    }
    lastDay[i] = day;
  }
  const unknownCustomers = decisions.length - logPosition.filter((p) => p >= 0).length;
  return { observations: o, transactions, unknownCustomers, coverage, laterContacts };
}
