// `ml campaign report`: reads a campaign's decisions from the decision log, the purchases that
// followed from a transaction file, measures the campaign (per action: treated vs control with 95%
// intervals; Qini curve), writes campaign.json and campaign.html and stores the result.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "@pp/shared/artifacts/atomic-file.ts";
import { campaignSectionHtml, htmlDocument } from "@pp/shared/campaigns/campaign-html.ts";
import type { ActionResult, CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { saveCampaignResult } from "@pp/shared/campaigns/campaign-results-store.ts";
import { storedCampaignShare } from "@pp/shared/campaigns/campaign-shares.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import { dataQualityLines } from "../data/input/data-quality.ts";
import type { LogColumns } from "../data/input/log-input.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  logEndGap,
  refuseFutureWindowEnd,
} from "../data/transaction-log.ts";
import { type LogFormat, type LogReadOptions, readLog } from "../pipelines/read-log.ts";
import { lastTransactionDay } from "../tracking/realized-purchases.ts";
import {
  type CampaignDecision,
  type HorizonCoverage,
  joinPurchases,
  readCampaignDecisions,
} from "./campaign-log-join.ts";
import { laterActionNotes, laterContactsOf, laterContactsSuffix } from "./later-contacts.ts";
import { measureCampaign } from "./measure-campaign.ts";

export interface CampaignReportOptions {
  db: Database;
  campaign: string;
  data: string;
  format: LogFormat;
  columns?: Partial<LogColumns>;
  onBadRow?: BadRowPolicy;
  /** The input layer's options (source, order/price columns, date format, time zone, returns). */
  log?: LogReadOptions;
  windowEnd?: string;
  /** Today (default: the clock's): a window cannot end after it. */
  today?: Date;
  out?: string;
  print?: (line: string) => void;
}

/**
 * Customers logged in both groups, and why: a pinned share cannot change, so they were decided
 * under another CAMPAIGN_SECRET (the report blamed "the control share changed", share pinned at
 * 0.5, when a replica under another secret had put 96 of 200 customers in both groups), or they
 * were logged under a decomposed id, split on the id as sent before 2026-12-06 (the note blamed
 * the secret for "José" sent composed and decomposed).
 */
async function switchedNote(
  db: Database,
  campaign: string,
  switched: { decisions: number; customers: number; decomposed: number },
): Promise<string> {
  const { decisions, customers, decomposed } = switched;
  const pinned = await storedCampaignShare(db, campaign);
  const secretCause = pinned
    ? `the campaign's control share is pinned at ${pinned.share} since ${pinned.startedAt.toISOString()} ` +
      "and did not change: they were decided under another CAMPAIGN_SECRET (a replica or ml simulate " +
      "configured apart; set the same secret everywhere). Only a campaign started before shares were " +
      "pinned (2026-12-05) can also have changed its share"
    : "the campaign has no pinned share: its control share changed between decisions, or they were " +
      "decided under another CAMPAIGN_SECRET";
  const spellingCause =
    `${decomposed} of them logged with a decomposed id (NFD, as macOS writes "José"): until ` +
    "2026-12-06 the split hashed the id as sent, so a customer sent composed and decomposed, or " +
    "decomposed before and after that change, could land in both groups";
  const cause =
    decomposed === 0
      ? secretCause
      : decomposed === customers
        ? spellingCause
        : `${spellingCause}; for the other ${customers - decomposed}, ${secretCause}`;
  return (
    `${decisions} later decisions put ${customers} customers in the other group than their first ` +
    `decision: ${cause}. These ${customers} customers are left out of both arms (held out and ` +
    "treated both, they belong to neither)"
  );
}

/**
 * The day of a campaign's first decision. A loop, not Math.min(...days): a spread of 1,000,000
 * decisions overflowed the stack ("Maximum call stack size exceeded", the whole report lost).
 */
export function firstDecisionDay(decisions: readonly { decidedDay: number }[]): number {
  let first = Number.POSITIVE_INFINITY;
  for (const d of decisions) if (d.decidedDay < first) first = d.decidedDay;
  return first;
}

export async function runCampaignReport(o: CampaignReportOptions): Promise<CampaignResult> {
  const print = o.print ?? console.log;
  const readOptions = {
    ignoreIdCase: o.log?.ignoreIdCase === true,
    ...(o.log?.timezone ? { timezone: o.log.timezone } : {}),
  };
  const all = await readCampaignDecisions(o.db, o.campaign, readOptions);
  if (all.decisions.length === 0) {
    throw new RangeError(
      `--campaign: no decisions of campaign ${shownText(o.campaign)} in the decision log`,
    );
  }
  const { log, lastDay, endDay, firstDecision } = await readWindow(o, all.decisions, print);
  // Decisions on or after the window's last day are read as not made: a customer decided then
  // had no day to buy in (counted, the treated paid their cost against no purchases), and one
  // answered none in the window and contacted after it left the groups (1,229 of 20,000).
  const read =
    all.lastDay >= endDay
      ? await readCampaignDecisions(o.db, o.campaign, { ...readOptions, before: endDay })
      : all;
  const measured = read.decisions.filter((d) => d.decidedDay < endDay);
  const joined = joinPurchases(measured, log, endDay);
  refuseForeignData(o.data, measured, log.customerIds, joined.unknownCustomers);
  const models = profitModelsByAction(measured);
  const notes = await reportNotes(o, { read, measured, joined, models, lastDay, endDay });
  const result = measureCampaign(joined.observations, {
    campaign: o.campaign,
    window: { start: dayToIsoDate(firstDecision + 1), end: dayToIsoDate(endDay) },
    horizonCoverage: joined.coverage.meanCoverage,
    notes,
  });
  for (const a of result.actions) {
    const counts = models.get(a.action);
    if (counts) a.profit_model = counts.size === 1 ? [...counts.keys()][0]! : null;
    const later = laterContactsOf(joined.laterContacts.byAction, a.action);
    if (later) a.later_contacts = later;
  }
  await saveCampaignResult(o.db, result);
  printResult(result, print);
  if (o.out) await writeOutputs(o.out, result, print);
  return result;
}

/**
 * A --data holding none of the campaign's customers is another file (another shop's, or the ids
 * in another column), not a campaign whose customers all bought nothing: measured, every customer
 * bought nothing, and that result (a simulated campaign against the CDNOW file: -925.60) replaced
 * the campaign's page and gauges. Refused before anything is stored.
 */
function refuseForeignData(
  data: string,
  measured: readonly CampaignDecision[],
  logIds: readonly string[],
  unknown: number,
): void {
  if (measured.length === 0 || unknown < measured.length) return;
  const ours = JSON.stringify(measured[0]!.customerId);
  const theirs = logIds.length > 0 ? ` (e.g. ${JSON.stringify(logIds[0])})` : "";
  throw new RangeError(
    `--data ${data}: none of the campaign's ${measured.length} customers (e.g. ${ours}) is in ` +
      `it; its ${logIds.length} customers are others${theirs}. Pass the log of the shop the ` +
      "campaign ran in, or --customer-col naming the column of these ids; nothing was stored",
  );
}

/**
 * The purchases file and the window it measures: its last day, the window's end (--window-end or
 * that day; never in the future, always after the campaign's first decision).
 */
async function readWindow(
  o: CampaignReportOptions,
  decisions: readonly CampaignDecision[],
  print: (line: string) => void,
) {
  const { log, quality } = await readLog({
    path: o.data,
    format: o.format,
    ...(o.columns ? { columns: o.columns } : {}),
    ...(o.onBadRow ? { onBadRow: o.onBadRow } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  for (const line of dataQualityLines(quality)) print(line);
  const lastDay = lastTransactionDay(log);
  if (Number.isNaN(lastDay)) throw new RangeError(`--data: ${o.data} holds no transactions`);
  const endDay = o.windowEnd === undefined ? lastDay : isoDateToDay(o.windowEnd);
  // Days no file can hold yet would count as days without purchases, in both groups.
  refuseFutureWindowEnd(endDay, o.today ?? new Date(), o.log?.timezone);
  const firstDecision = firstDecisionDay(decisions);
  if (endDay <= firstDecision) {
    throw new RangeError(
      `--window-end ${dayToIsoDate(endDay)} is not after the campaign's first decision (${dayToIsoDate(firstDecision)})`,
    );
  }
  return { log, lastDay, endDay, firstDecision };
}

/** What the report says beside its figures: decisions left out or merged, and gaps in the data. */
async function reportNotes(
  o: CampaignReportOptions,
  m: {
    read: Awaited<ReturnType<typeof readCampaignDecisions>>;
    measured: readonly CampaignDecision[];
    joined: ReturnType<typeof joinPurchases>;
    models: Map<string, Map<string, number>>;
    lastDay: number;
    endDay: number;
  },
): Promise<string[]> {
  const { repeats, switched, switchedCustomers, switchedDecomposed, late } = m.read;
  const { joined, endDay } = m;
  const notes: string[] = [];
  if (late > 0) {
    notes.push(
      `${late} decisions made on or after the window's last day (${dayToIsoDate(endDay)}) left ` +
        "out: no days to buy in, and no change to a customer's group or action in the window",
    );
  }
  if (repeats > 0) {
    const { count, cost } = joined.laterContacts;
    notes.push(
      `${repeats} repeated decisions of the same customers: each customer keeps the group of its first decision and the action of its first contact (its first decision with an action other than none, from whose day its purchases are counted)` +
        (count > 0
          ? `; the ${count} later contacts of treated customers (cost ${cost.toFixed(2)}) are counted in that action's cost`
          : ""),
    );
  }
  if (switched > 0) {
    const counts = {
      decisions: switched,
      customers: switchedCustomers,
      decomposed: switchedDecomposed,
    };
    notes.push(await switchedNote(o.db, o.campaign, counts));
  }
  notes.push(...coverageNotes(joined.coverage, m.measured, endDay));
  const gap = logEndGap(m.lastDay, endDay);
  if (gap !== null) {
    notes.push(
      `the last purchase in --data is on ${dayToIsoDate(m.lastDay)}, ${gap} days before ` +
        `the window's end: if the file stops there, the days after it count as days without purchases`,
    );
  }
  if (joined.unknownCustomers > 0) {
    notes.push(
      `${joined.unknownCustomers} campaign customers have no transactions in --data at all`,
    );
  }
  notes.push(...mixedUnitNotes(m.models));
  notes.push(...laterActionNotes(joined.laterContacts.byAction));
  return notes;
}

/**
 * The result on the terminal: its notes (the measurement adds its own: no interval, no
 * incremental profit, the Qini end point; printing only the gathered ones left those off), a
 * line per action and campaign.html's headline, the incremental profit (it was nowhere there).
 */
function printResult(result: CampaignResult, print: (line: string) => void): void {
  for (const note of result.notes) print(`note: ${note}`);
  for (const a of result.actions) print(actionLine(a));
  const total = result.incremental_profit;
  print(
    `incremental profit: ${total === null ? "not measured" : `${total.toFixed(2)} (the measured actions' totals)`}`,
  );
}

/** campaign.json and campaign.html in `out`. */
async function writeOutputs(out: string, result: CampaignResult, print: (line: string) => void) {
  const dir = resolve(out);
  await mkdir(dir, { recursive: true });
  // Atomic: a killed run leaves the old file or the new one, never a part.
  await writeFileAtomic(join(dir, "campaign.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFileAtomic(
    join(dir, "campaign.html"),
    htmlDocument(`Campaign ${result.campaign}`, campaignSectionHtml(result)),
  );
  print(`wrote ${join(dir, "campaign.json")} and campaign.html`);
}

/** What the report says when the window and the decisions' horizons differ. */
function coverageNotes(
  coverage: HorizonCoverage,
  decisions: readonly CampaignDecision[],
  endDay: number,
): string[] {
  const notes: string[] = [];
  if (coverage.partial > 0) {
    const fullBy = Math.max(
      ...decisions.map((d) =>
        d.horizonDays > 0 ? d.decidedDay + Math.ceil(d.horizonDays) : endDay,
      ),
    );
    notes.push(
      `the window covers ${(coverage.meanCoverage * 100).toFixed(0)}% of the decisions' horizons on ` +
        `average (${coverage.partial} customers' horizons run past ${dayToIsoDate(endDay)}): their ` +
        "expected purchases are scaled by the share covered, so the measured uplift is approximate; " +
        `report again with data through ${dayToIsoDate(fullBy)} to measure every horizon whole`,
    );
  }
  if (coverage.cutAtHorizon > 0) {
    notes.push(
      `${coverage.cutAtHorizon} customers' horizons ended before ${dayToIsoDate(endDay)}: their ` +
        "purchases are counted to the end of the horizon their decision was made for",
    );
  }
  return notes;
}

/** One action's figures for the terminal; "not measurable" where an arm is empty (NaN before). */
function actionLine(a: ActionResult): string {
  const groups = `${a.action}: ${a.treated.customers} treated, ${a.control.customers} control`;
  const x = a.incremental_profit_per_customer;
  // An action the greedy policy picked for nobody may still be measured on its explored rows.
  if (!Number.isFinite(x.estimate))
    return `${groups}; not measurable (an empty group)${exploredSuffix(a)}`;
  const range = Number.isFinite(x.lower) ? ` [${x.lower.toFixed(3)}, ${x.upper.toFixed(3)}]` : "";
  const uplift = a.measured_uplift.estimate;
  return (
    `${groups}; incremental profit per customer ${x.estimate.toFixed(3)}${range}, ` +
    `total ${a.incremental_profit_total.estimate.toFixed(2)}, measured uplift ` +
    `${Number.isFinite(uplift) ? uplift.toFixed(3) : "–"} (assumed ${a.assumed_uplift.toFixed(3)})` +
    laterContactsSuffix(a) +
    exploredSuffix(a)
  );
}

/** The action's inverse-propensity estimate, with its explored rows (exploration share only). */
function exploredSuffix(a: ActionResult): string {
  const x = a.explored;
  if (!x) return "";
  const u = x.uplift;
  const value = Number.isFinite(u.estimate)
    ? `${u.estimate.toFixed(3)} [${u.lower.toFixed(3)}, ${u.upper.toFixed(3)}]`
    : "not measurable";
  return (
    `; explored: ${x.explored_rows} rows, uplift by inverse propensity ${value} ` +
    `(${x.weighted_rows} treated rows weighted, ${x.control} eligible control customers)`
  );
}

/** Per action, the profit models its customers were decided under, with their customers. */
function profitModelsByAction(
  decisions: readonly CampaignDecision[],
): Map<string, Map<string, number>> {
  const byAction = new Map<string, Map<string, number>>();
  for (const d of decisions) {
    if (d.action === "none" || d.profitModel === undefined) continue;
    const counts = byAction.get(d.action) ?? new Map<string, number>();
    counts.set(d.profitModel, (counts.get(d.profitModel) ?? 0) + 1);
    byAction.set(d.action, counts);
  }
  return byAction;
}

/**
 * An action decided under policies of different profit models: its uplift was assumed in different
 * units (per expected purchase; per (1 − P(alive))·E/P(alive) under lapsing-uplift), and one
 * measured uplift pools them. The report says so; `campaign learn` leaves the action alone.
 */
function mixedUnitNotes(models: Map<string, Map<string, number>>): string[] {
  const notes: string[] = [];
  for (const [action, counts] of models) {
    if (counts.size < 2) continue;
    const parts = [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([model, n]) => `${model} ${n.toLocaleString("en-US")}`);
    notes.push(
      `${action}: its customers were decided under policies of different profit models (${parts.join(", ")} customers): ` +
        "its measured uplift pools their units, and `campaign learn` leaves it alone",
    );
  }
  return notes;
}
