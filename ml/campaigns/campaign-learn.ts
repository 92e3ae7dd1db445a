// `ml campaign learn`: the latest measured result of a campaign and the active policy → the next
// version of that policy with learned uplifts (stored inactive), the change printed; `--activate`
// makes it the active policy. When no uplift moves (every measurement kept out), or a stored version
// already holds what this report teaches, nothing is stored.

import { isDeepStrictEqual } from "node:util";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import {
  campaignResultWindows,
  latestCampaignResult,
} from "@pp/shared/campaigns/campaign-results-store.ts";
import type { Database } from "@pp/shared/db/database.ts";
import type { PolicyRow } from "@pp/shared/db/schema.ts";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import {
  type LearnedReport,
  MAX_LEARNED_FROM,
  type PolicyDefinition,
  storedPolicyDefinitionSchema,
} from "@pp/shared/policy/policy-definition.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { type ActivePolicyRow, ensureActivePolicy } from "./active-policy.ts";
import { otherLaterActions } from "./later-contacts.ts";
import {
  byExploredEstimates,
  changesUplifts,
  describeChange,
  describeReport,
  type LearnedAction,
  learnedLineage,
  learnedReports,
  learnUplifts,
  MIN_ARM,
  proposePolicy,
  reportOfCampaign,
} from "./learn-uplift.ts";

export interface CampaignLearnOptions {
  db: Database;
  campaign: string;
  activate?: boolean;
  print?: (line: string) => void;
}

export async function runCampaignLearn(o: CampaignLearnOptions) {
  const print = o.print ?? console.log;
  const row = await latestCampaignResult(o.db, o.campaign);
  if (!row) {
    throw new RangeError(
      `--campaign: no measured result of ${shownText(o.campaign)} (run \`ml campaign report\` first)`,
    );
  }
  const result = row.result as unknown as CampaignResult;
  const others = (await campaignResultWindows(o.db, o.campaign)).filter((w) => w !== row.windowEnd);
  print(
    `learning from the report of campaign "${o.campaign}" over ${result.window.start} → ` +
      `${result.window.end}, reported at ${row.reportedAt.toISOString()} (the latest report run` +
      (others.length > 0
        ? `; ${others.length} other stored: window end ${others.join(", ")})`
        : ")"),
  );
  const current = await ensureActivePolicy(o.db);
  const explored = byExploredEstimates(result);
  for (const line of explored.lines) print(line);
  const { kept, left, otherUnits } = inPolicyUnits(
    explored.result,
    current.definition.profit_model,
  );
  for (const line of left) print(`note: ${line}`);
  const learned = learnUplifts(kept, current.definition);
  if (learned.length === 0) {
    throw new RangeError(
      otherUnits > 0
        ? `--campaign: no action of "${o.campaign}" was measured in the units of ${current.name}'s profit model (${current.definition.profit_model}); activate the policy that decided the campaign and learn again`
        : left.length > 0
          ? `--campaign: no action of "${o.campaign}" can be learned (${left.join("; ")})`
          : `--campaign: "${o.campaign}" has no action with both treated and control customers`,
    );
  }
  const coverage = result.horizon_coverage;
  if (coverage !== undefined && coverage < 1) {
    print(
      `note: measured over ${(coverage * 100).toFixed(0)}% of the decisions' horizons on average ` +
        "(expected purchases scaled to it): report again once they are over for a whole-horizon measure",
    );
  }
  const report: LearnedReport = {
    campaign: o.campaign,
    window_end: row.windowEnd,
    reported_at: row.reportedAt.toISOString(),
  };
  const unchanged = unchangedReason(current, learned, report);
  if (unchanged) {
    // Lines of a change not made would read as made: printed only when nothing moves.
    if (unchanged.showChange) for (const line of describeChange(learned)) print(`  ${line}`);
    print(unchanged.reason);
    const { name, version } = current;
    return { name, version, learned, activated: false, changed: false };
  }
  // The active definition as stored, with learned uplifts for logged action ids: read with the
  // stored schema, so a policy stored before the limits on new definitions can still learn.
  const proposed = storedPolicyDefinitionSchema.parse(
    proposePolicy(current.definition, learned, report),
  );
  for (const line of droppedReports(current.definition, learned, report)) print(`note: ${line}`);
  const store = new PolicyStore(o.db);
  const held = await versionHolding(store, current, proposed);
  const added = held ?? (await store.add(current.name, proposed));
  if (held) {
    for (const line of describeChange(learned)) print(`  ${line}`);
    print(
      `${current.name} v${held.version} already holds these uplifts, learned from this report: nothing stored` +
        (o.activate ? "" : ` (${activateHint(current.name, held.version)})`),
    );
  } else {
    print(`proposed ${current.name} v${added.version} (from v${current.version}):`);
    for (const line of describeChange(learned)) print(`  ${line}`);
  }
  if (o.activate) {
    await store.activate(current.name, added.version);
    print(`activated ${current.name} v${added.version}`);
  } else if (!held) {
    print(`not active: ${activateHint(current.name, added.version)}`);
  }
  const activated = o.activate === true;
  return { name: current.name, version: added.version, learned, activated, changed: !held };
}

const activateHint = (name: string, version: number) =>
  `activate with --activate, or POST /admin/policies/${name}/versions/${version}/activate`;

/**
 * Why nothing is to be stored, or undefined: no uplift moves (a version equal to the active one
 * would be activated as if something had been learned), or the active policy already learned from
 * this report or another of the same campaign (learning again would take its learned uplifts as the prior and count the same
 * customers twice: 0.2 → 0.915, then 0.918, 0.921, … a new version each run).
 */
function unchangedReason(
  current: ActivePolicyRow,
  learned: readonly LearnedAction[],
  report: LearnedReport,
): { reason: string; showChange: boolean } | undefined {
  const { campaign } = report;
  const source = describeReport(report);
  // The reports each learned uplift was learned from: its own and those its prior had.
  const reports = learned.flatMap((l) => learnedReports(current.definition.uplifts?.[l.action]));
  const head = `${current.name} v${current.version} (active) already learned from`;
  const twice = "count its customers twice; nothing stored, nothing activated";
  if (reports.some((r) => r.text === source)) {
    return {
      reason: `${head} this report (${source}): learning from it again would ${twice}`,
      showChange: false,
    };
  }
  // Another report of this campaign measures the same customers: learning from it on top of the
  // first counts them twice too (a re-report of the window moved 0.915 to 0.918, as a repeat did).
  const earlier = reports.find((r) => reportOfCampaign(r, campaign));
  if (earlier !== undefined) {
    const report = earlier.text.slice(`campaign ${campaign} `.length);
    return {
      reason:
        `${head} another report of campaign "${campaign}" ${report}: learning from this one too would ${twice} ` +
        `(to learn from this report instead, activate the version v${current.version} was learned from and learn again)`,
      showChange: false,
    };
  }
  if (!changesUplifts(learned)) {
    const reason = `no uplift changed: ${current.name} v${current.version} stays as it is (no version proposed, nothing activated)`;
    return { reason, showChange: true };
  }
  return undefined;
}

/**
 * The reports dropped from the learned uplifts' lineage (the oldest, past MAX_LEARNED_FROM): they
 * are no longer recognised, so learning from one of them again would not be refused.
 */
function droppedReports(
  current: PolicyDefinition,
  learned: readonly LearnedAction[],
  report: LearnedReport,
): string[] {
  return learned.flatMap((l) => {
    const { dropped } = learnedLineage(report, current.uplifts?.[l.action]);
    return dropped > 0
      ? [
          `${l.action}: its learned_from keeps the newest ${MAX_LEARNED_FROM} reports; the ${dropped} oldest dropped are no longer recognised, and learning from one of them again would not be refused`,
        ]
      : [];
  });
}

/**
 * A definition as compared for "already holds these uplifts": the learned uplifts without the
 * times of the reports they came from (in learned_from and in source, text for people). A window
 * reported again replaces its stored result with a later run; learning from that run stored a
 * copy of the version learned from the first, told apart only by the report's time.
 */
function withoutReportTimes(d: PolicyDefinition): unknown {
  const uplifts = Object.fromEntries(
    Object.entries(d.uplifts ?? {}).map(([action, { source: _, learned_from, ...u }]) => [
      action,
      { ...u, learned_from: learned_from?.map((r) => [r.campaign, r.window_end]) },
    ]),
  );
  return JSON.parse(JSON.stringify({ ...d, uplifts }));
}

/**
 * The newest stored version of the active policy's name whose definition is `proposed`, if any
 * (whatever the times of the reports its uplifts were learned from).
 */
async function versionHolding(
  store: PolicyStore,
  current: ActivePolicyRow,
  proposed: PolicyDefinition,
): Promise<PolicyRow | undefined> {
  const want = withoutReportTimes(proposed);
  for (const row of await store.list(current.name)) {
    if (row.version === current.version) continue;
    const parsed = storedPolicyDefinitionSchema.safeParse(row.definition);
    if (parsed.success && isDeepStrictEqual(withoutReportTimes(parsed.data), want)) return row;
  }
  return undefined;
}

/**
 * The result with only the actions with at least MIN_ARM customers in each arm (one with fewer
 * was left out without a word: a coupon with 3 treated and 0 control customers was not named), measured in the units of `profitModel` and alone (no other
 * action's later contacts in their treated arm: email at 0 and a second wave's call at +0.6
 * measured email at +0.166, and learn raised email), and a line for each action left out. The uplift of an action decided under another profit model (or several) is in
 * other units: stored in this policy it moved its uplift by a factor of the two bases (a
 * lapsing-uplift 0.217 proposed for the default policy, where it is 0.147). Results stored before
 * the profit model was kept have none: taken as they are.
 */
function inPolicyUnits(
  result: CampaignResult,
  profitModel: string,
): { kept: CampaignResult; left: string[]; otherUnits: number } {
  const left: string[] = [];
  let otherUnits = 0;
  const actions = result.actions.filter((a) => {
    if (a.treated.customers < MIN_ARM || a.control.customers < MIN_ARM) {
      left.push(
        `${a.action}: ${a.treated.customers} treated and ${a.control.customers} control customers, too few to measure (at least ${MIN_ARM} in each arm): left as it is`,
      );
      return false;
    }
    const others = otherLaterActions(a);
    if (others.length > 0) {
      const names = others.map((c) => `${c.action} ×${c.contacts}`).join(", ");
      left.push(
        `${a.action}: its treated customers were contacted again with ${names}, whose effect its measured uplift includes: left as it is`,
      );
      return false;
    }
    if (a.profit_model === undefined || a.profit_model === profitModel) return true;
    otherUnits++;
    left.push(
      a.profit_model === null
        ? `${a.action}: measured under policies of several profit models, its uplift pools their units: left as it is`
        : `${a.action}: measured under ${a.profit_model}, whose uplift is in other units than the active policy's ${profitModel}: left as it is`,
    );
    return false;
  });
  return { kept: { ...result, actions }, left, otherUnits };
}
