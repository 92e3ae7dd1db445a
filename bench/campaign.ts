// Benchmark of the campaign loop's compute: the keyed-hash control assignment, the decision-log ×
// purchases join and the measurement on N simulated customers, and the 200-campaign interval
// coverage check (in-process, typed arrays), printed side by side.
//
//   bun run bench:campaign [--customers N] [--campaigns K]

import { ControlAssignment } from "@pp/shared/policy/control-assignment.ts";
import { type CampaignDecision, joinPurchases } from "../ml/campaigns/campaign-log-join.ts";
import {
  decideCampaign,
  randomControl,
  runCampaignWindow,
  simulateCampaignPopulation,
} from "../ml/campaigns/campaign-simulator.ts";
import { measureCampaign } from "../ml/campaigns/measure-campaign.ts";
import { SIMULATED_CAMPAIGN_ACTIONS } from "../ml/campaigns/simulated-actions.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const args = process.argv.slice(2);
const numberArg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  const n = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!(Number.isInteger(n) && n > 0)) {
    console.error(`${name}: expected a positive integer, got ${args[i + 1]}`);
    process.exit(2);
  }
  return n;
};
const customers = numberArg("--customers", 100_000);
const campaigns = numberArg("--campaigns", 200);
const results = benchResults("campaign");
const ms = (since: number) => performance.now() - since;
const window = { start: "1997-10-01", end: "1997-12-30" };

let t = performance.now();
const pop = simulateCampaignPopulation({ customers, seed: 1, withHistory: true });
const simulateMs = ms(t);
const decision = decideCampaign(pop, SIMULATED_CAMPAIGN_ACTIONS, {});

t = performance.now();
const groups = await new ControlAssignment("bench-secret-0123456789").groups("bench", pop.ids, 0.2);
const assignMs = ms(t);
const control = Uint8Array.from(groups, (g) => (g === "control" ? 1 : 0));
const run = runCampaignWindow(pop, SIMULATED_CAMPAIGN_ACTIONS, decision, control, 2);

// The decisions as `ml campaign report` reads them from decision_log.
const decisions: CampaignDecision[] = pop.ids.map((id, i) => {
  const k = decision.action[i] ?? -1;
  const a = SIMULATED_CAMPAIGN_ACTIONS[k];
  return {
    customerId: id,
    decidedDay: pop.decisionDay,
    group: control[i] ? "control" : "treated",
    action: a?.id ?? "none",
    cost: a?.cost ?? 0,
    margin: a?.margin ?? 0,
    uplift: decision.assumedUplift[i] ?? Number.NaN,
    expectedProfit: decision.predictedProfit[i] ?? Number.NaN,
    expectedPurchases: pop.predictedPurchases[i] ?? Number.NaN,
    upliftBase: pop.predictedPurchases[i] ?? Number.NaN,
    horizonDays: pop.horizonWeeks * 7,
    pAlive: pop.pAlive[i] ?? Number.NaN,
  };
});
const log = run.log as NonNullable<typeof run.log>;
// The log's ids hashed, as a file reader's id → number map leaves them (and ea36ea8's simulator did,
// inside "simulate"): the simulator adds its ids unhashed since, so their first hashing (15–20 ms;
// the decisions share these strings) fell into the join's figure, against a baseline without it.
new Set(log.customerIds);
t = performance.now();
const joined = joinPurchases(decisions, log, pop.decisionDay + 91);
const joinMs = ms(t);
t = performance.now();
measureCampaign(joined.observations, { campaign: "bench", window });
const measureMs = ms(t);

t = performance.now();
let intervals = 0;
let covered = 0;
for (let c = 0; c < campaigns; c++) {
  const p = simulateCampaignPopulation({ customers: 4000, seed: 10_000 + c });
  const d = decideCampaign(p, SIMULATED_CAMPAIGN_ACTIONS, {});
  const r = runCampaignWindow(
    p,
    SIMULATED_CAMPAIGN_ACTIONS,
    d,
    randomControl(p.n, 0.3, 20_000 + c),
    30_000 + c,
  );
  measureCampaign(r.observations, { campaign: "c", window }).actions.forEach((a, k) => {
    const truth = r.trueProfitPerCustomer[k] ?? Number.NaN;
    const ci = a.incremental_profit_per_customer;
    if (!Number.isFinite(ci.lower) || !Number.isFinite(truth)) return;
    intervals++;
    if (ci.lower <= truth && truth <= ci.upper) covered++;
  });
}
const coverageSeconds = ms(t) / 1000;

const n = customers.toLocaleString("en-US");
const rows: Array<[string, number, string]> = [
  [`simulate population + history, ${n} customers`, simulateMs / 1000, "s"],
  [`HMAC control assignment, ${n} customers`, assignMs, "ms"],
  [
    `decision log × purchases join, ${n} customers, ${log.length.toLocaleString("en-US")} rows`,
    joinMs,
    "ms",
  ],
  [`measure (Welch per action, segments, Qini), ${n} customers`, measureMs, "ms"],
  [`coverage check, ${campaigns} campaigns × 4,000 customers`, coverageSeconds, "s"],
  [`95% interval coverage (${intervals} intervals)`, (100 * covered) / intervals, "%"],
];
for (const [name, value, unit] of rows) {
  console.error(`${name.padEnd(78)} ${value.toFixed(unit === "%" ? 1 : 2).padStart(9)} ${unit}`);
  results.add(name, value, unit);
}
results.flush();
