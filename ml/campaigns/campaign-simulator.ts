// A campaign in simulation, with known truth: customers from a BG/NBD population (purchase rate
// λ ~ Gamma(r, α) per week, dropout p ~ Beta(a, b) after each purchase) observed up to the decision
// day; the policy engine of the decision service picks each customer's action from the BG/NBD
// forecast; a keyed-hash-like random draw holds out a control group; treated customers buy at rate
// λ·(1 + u) for the window, where u is the action's TRUE uplift for the customer's P(alive) segment.
// For a customer alive at the decision the expected purchases in a window of H weeks are
// (1 − e^(−λ·p·H))/p, so the true expected incremental purchases of treatment are
// (e^(−λpH) − e^(−λ(1+u)pH))/p (0 for a customer already gone).

import { pAliveSegment } from "@pp/shared/campaigns/campaign-result.ts";
import { type SelectionOption, selectWithinBudget } from "@pp/shared/policy/budgeted-selection.ts";
import { ineligibilityReasons } from "@pp/shared/policy/eligibility.ts";
import { expectedProfit } from "@pp/shared/policy/expected-profit.ts";
import { exploredAction, propensityOf } from "@pp/shared/policy/exploration.ts";
import type { PolicyDefinition } from "@pp/shared/policy/policy-definition.ts";
import { withPolicyUplift } from "@pp/shared/policy/policy-uplift.ts";
import { NO_ACTION } from "@pp/shared/policy/rank-actions.ts";
import type { TransactionLog } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import {
  type BgNbdParams,
  bgnbdExpectedPurchases,
  bgnbdProbabilityAlive,
} from "../models/bgnbd.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { CDNOW_SPEND } from "../sim/purchase-process.ts";
import { sampleBeta, sampleExponential, sampleGamma } from "../sim/samplers.ts";
import { type CampaignObservations, emptyObservations } from "./campaign-observations.ts";

export const CDNOW_BGNBD: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

export interface SimulatedAction {
  id: string;
  cost: number;
  margin: number;
  /** The uplift the caller sends (what the starting policy believes). */
  assumedUplift: number;
  /** True uplift per P(alive) segment (P_ALIVE_SEGMENTS order: <0.3, 0.3–0.7, ≥0.7). */
  trueUplift: readonly [number, number, number];
}

/** The population at the decision day: latent truth, history and the BG/NBD forecast. */
export interface CampaignPopulation {
  n: number;
  ids: string[];
  lambda: Float64Array;
  dropout: Float64Array;
  nu: Float64Array;
  alive: Uint8Array;
  /** Weeks from the first purchase to the decision. */
  T: Float64Array;
  firstDay: Int32Array;
  decisionDay: number;
  horizonWeeks: number;
  predictedPurchases: Float64Array;
  pAlive: Float64Array;
  /** The purchases before the decision (when asked for); customer i is customer number i. */
  history?: TransactionLogBuilder;
}

export interface PopulationOptions {
  customers: number;
  seed: number;
  params?: BgNbdParams;
  /** Decision day (days since 1970-01-01); first purchases fall in the 84 days 273 days before. */
  decisionDay?: number;
  horizonWeeks?: number;
  withHistory?: boolean;
}

const DEFAULT_DECISION_DAY = 10_134; // 1997-09-30

/** Simulates the customers' histories up to the decision day and their BG/NBD forecasts. */
export function simulateCampaignPopulation(options: PopulationOptions): CampaignPopulation {
  const n = options.customers;
  const params = options.params ?? CDNOW_BGNBD;
  const decisionDay = options.decisionDay ?? DEFAULT_DECISION_DAY;
  const horizonWeeks = options.horizonWeeks ?? 13;
  const rng = new Xoshiro128(options.seed);
  const history = options.withHistory
    ? new TransactionLogBuilder({ withQuantity: false, initialCapacity: 4 * n + 16 })
    : undefined;
  const pop: CampaignPopulation = {
    n,
    ids: new Array(n),
    lambda: new Float64Array(n),
    dropout: new Float64Array(n),
    nu: new Float64Array(n),
    alive: new Uint8Array(n),
    T: new Float64Array(n),
    firstDay: new Int32Array(n),
    decisionDay,
    horizonWeeks,
    predictedPurchases: new Float64Array(n),
    pAlive: new Float64Array(n),
    ...(history ? { history } : {}),
  };
  for (let i = 0; i < n; i++) {
    const id = `c${i + 1}`;
    pop.ids[i] = id;
    const f = decisionDay - 272 + Math.floor(rng.uniform() * 84);
    const T = (decisionDay - f) / 7;
    const lambda = sampleGamma(rng, params.r, params.alpha);
    const p = sampleBeta(rng, params.a, params.b);
    const nu = sampleGamma(rng, CDNOW_SPEND.q, CDNOW_SPEND.gamma);
    const customer = i; // the history numbers customer i as i (its ids are added after the loop)
    history?.push(customer, f, Math.round(sampleGamma(rng, CDNOW_SPEND.p, nu) * 100) / 100);
    let t = 0;
    let x = 0;
    let tx = 0;
    let alive = 1;
    for (let guard = 0; guard < 100_000; guard++) {
      t += sampleExponential(rng, lambda);
      if (!(t <= T)) break;
      x++;
      tx = t;
      history?.push(
        customer,
        f + Math.ceil(t * 7),
        Math.round(sampleGamma(rng, CDNOW_SPEND.p, nu) * 100) / 100,
      );
      if (rng.uniform() < p) {
        alive = 0;
        break;
      }
    }
    pop.lambda[i] = lambda;
    pop.dropout[i] = p;
    pop.nu[i] = nu;
    pop.alive[i] = alive;
    pop.T[i] = T;
    pop.firstDay[i] = f;
    pop.pAlive[i] = bgnbdProbabilityAlive(params, x, tx, T);
    pop.predictedPurchases[i] = bgnbdExpectedPurchases(params, horizonWeeks, x, tx, T);
  }
  history?.addDistinctCustomers(pop.ids);
  return pop;
}

export interface CampaignPolicy {
  uplifts?: PolicyDefinition["uplifts"];
  /** Eligibility rules: an action one fails is not offered (the decision service's `eligible`). */
  rules?: PolicyDefinition["rules"];
}

/** Each customer's action (−1: none) and the terms the policy assumed for it. */
export interface CampaignDecisions {
  action: Int32Array;
  predictedProfit: Float64Array;
  assumedUplift: Float64Array;
  /** Each customer's eligible options, in id order (what exploration draws from). */
  options?: SelectionOption[][];
  /** Each customer's uplift per action (in `actions` order), as the policy assumes it. */
  upliftOf?: number[][];
  /** With exploration: 1 when the action was drawn, and its propensity under the policy. */
  explored?: Uint8Array;
  propensity?: Float64Array;
}

/**
 * Each customer's action under the policy (expected-profit model, its eligibility rules), within
 * `budget`. The rules were left out: under a policy of `max_cost` 1 the simulated campaign logged
 * calls at cost 6 as that policy's decisions.
 */
export function decideCampaign(
  pop: CampaignPopulation,
  actions: readonly SimulatedAction[],
  policy: CampaignPolicy,
  budget = Number.POSITIVE_INFINITY,
): CampaignDecisions {
  const options: SelectionOption[][] = new Array(pop.n);
  const upliftOf: number[][] = new Array(pop.n);
  for (let i = 0; i < pop.n; i++) {
    const outlook = {
      expectedPurchases: pop.predictedPurchases[i]!,
      pAlive: pop.pAlive[i]!,
    };
    const list: SelectionOption[] = [];
    const uplifts: number[] = [];
    for (const a of actions) {
      const action = withPolicyUplift(
        policy,
        { id: a.id, cost: a.cost, margin: a.margin, uplift: a.assumedUplift },
        outlook.pAlive,
      );
      const profit = expectedProfit("expected-profit", action, outlook);
      uplifts.push(action.uplift);
      if (policy.rules && ineligibilityReasons(policy.rules, action, outlook, profit).length > 0) {
        continue;
      }
      list.push({ action: a.id, cost: a.cost, profit });
    }
    options[i] = list;
    upliftOf[i] = uplifts;
  }
  const picked = selectWithinBudget(options, budget);
  const action = new Int32Array(pop.n).fill(-1);
  const predictedProfit = new Float64Array(pop.n);
  const assumedUplift = new Float64Array(pop.n);
  const index = new Map(actions.map((a, k) => [a.id, k]));
  for (const p of picked.picks) {
    const k = index.get(p.option.action) as number;
    action[p.index] = k;
    predictedProfit[p.index] = p.option.profit;
    assumedUplift[p.index] = upliftOf[p.index]![k]!;
  }
  // In id order, as the decision service orders them: exploration draws by position.
  const byId = (x: SelectionOption, y: SelectionOption) =>
    x.action < y.action ? -1 : x.action > y.action ? 1 : 0;
  const sorted = options.map((list) => [...list].sort(byId));
  return { action, predictedProfit, assumedUplift, options: sorted, upliftOf };
}

/**
 * The decisions with exploration (shared/policy/exploration.ts): a treated customer whose keyed
 * draw is below `share` gets an action drawn uniformly from its eligible options instead of the
 * greedy one; every treated customer gets the propensity of its action. No budget here (the
 * simulator decides without one), so exploring costs only the explored actions.
 */
export function exploreCampaign(
  decision: CampaignDecisions,
  actions: readonly SimulatedAction[],
  control: Uint8Array,
  draws: ReadonlyArray<{ explore: number; pick: number }>,
  share: number,
): CampaignDecisions {
  const n = decision.action.length;
  const out = {
    ...decision,
    action: Int32Array.from(decision.action),
    predictedProfit: Float64Array.from(decision.predictedProfit),
    assumedUplift: Float64Array.from(decision.assumedUplift),
    explored: new Uint8Array(n),
    propensity: new Float64Array(n).fill(Number.NaN),
  };
  const index = new Map(actions.map((a, k) => [a.id, k]));
  for (let i = 0; i < n; i++) {
    if (control[i]) continue;
    const list = decision.options?.[i] ?? [];
    const ids = list.map((o) => o.action);
    const k = decision.action[i]!;
    const greedy = k >= 0 ? actions[k]!.id : NO_ACTION;
    const drawn = exploredAction(draws[i]!, share, ids);
    if (drawn !== null) {
      const j = index.get(drawn) as number;
      out.action[i] = j;
      out.explored[i] = 1;
      out.predictedProfit[i] = list.find((o) => o.action === drawn)?.profit ?? 0;
      out.assumedUplift[i] = decision.upliftOf?.[i]?.[j] ?? 0;
    }
    out.propensity[i] = propensityOf(share, ids, drawn ?? greedy, greedy);
  }
  return out;
}

/** The true uplift of action k for customer i (by the forecast's P(alive) segment). */
export function trueUpliftOf(pop: CampaignPopulation, action: SimulatedAction, i: number): number {
  const s = pAliveSegment(pop.pAlive[i]!);
  return action.trueUplift[s < 0 ? 2 : s]!;
}

/** True expected incremental purchases of treating customer i with uplift u. */
export function trueIncrementalPurchases(pop: CampaignPopulation, i: number, u: number): number {
  if (!pop.alive[i]) return 0;
  const lp = pop.lambda[i]! * pop.dropout[i]! * pop.horizonWeeks;
  const p = pop.dropout[i]!;
  return (Math.exp(-lp) - Math.exp(-lp * (1 + u))) / p;
}

export interface CampaignRun {
  observations: CampaignObservations;
  /** Per action: the true mean incremental profit per customer over its customers (both arms). */
  trueProfitPerCustomer: Float64Array;
  /** History and window transactions (when the population kept its history). */
  log?: TransactionLog;
}

/**
 * Runs the window after the decision: `control[i]` = 1 holds customer i out. Treated customers with
 * an action buy at λ(1 + true uplift); everyone else at λ; all keep dropping out after purchases.
 * Seeds up to 2^32 keep every customer's stream distinct.
 */
export function runCampaignWindow(
  pop: CampaignPopulation,
  actions: readonly SimulatedAction[],
  decision: ReturnType<typeof decideCampaign>,
  control: Uint8Array,
  seed: number,
): CampaignRun {
  const o = emptyObservations(
    pop.n,
    actions.map((a) => a.id),
  );
  const truthSum = new Float64Array(actions.length);
  const truthN = new Float64Array(actions.length);
  const log = pop.history;
  for (let i = 0; i < pop.n; i++) {
    const k = decision.action[i]!;
    const a = k >= 0 ? (actions[k] as SimulatedAction) : undefined;
    const u = a ? trueUpliftOf(pop, a, i) : 0;
    o.action[i] = k;
    o.treated[i] = control[i] ? 0 : 1;
    o.pAlive[i] = pop.pAlive[i]!;
    o.upliftBase[i] = pop.predictedPurchases[i]!; // decided with the expected-profit model
    o.predictedProfit[i] = decision.predictedProfit[i]!;
    o.assumedUplift[i] = decision.assumedUplift[i]!;
    if (a) {
      o.margin[i] = a.margin;
      o.cost[i] = a.cost;
      truthSum[k] = truthSum[k]! + a.margin * trueIncrementalPurchases(pop, i, u) - a.cost;
      truthN[k] = truthN[k]! + 1;
    }
    if (!pop.alive[i]) continue;
    const rate = pop.lambda[i]! * (a && !control[i] ? 1 + u : 1);
    const customer = i; // as the population's history numbers its customers
    // One stream per customer (common random numbers): the same customer under two policies draws
    // the same uniforms, so policies can be compared without the noise of everyone else's draws.
    const rng = new Xoshiro128(seed * 1_048_576 + i);
    let t = 0;
    let purchases = 0;
    let spend = 0;
    for (let guard = 0; guard < 100_000; guard++) {
      t += sampleExponential(rng, rate);
      if (!(t <= pop.horizonWeeks)) break;
      const amount = Math.round(sampleGamma(rng, CDNOW_SPEND.p, pop.nu[i]!) * 100) / 100;
      purchases++;
      spend += amount;
      log?.push(customer, pop.decisionDay + Math.max(1, Math.ceil(t * 7)), amount);
      if (rng.uniform() < pop.dropout[i]!) break;
    }
    o.purchases[i] = purchases;
    o.spend[i] = spend;
  }
  const trueProfitPerCustomer = truthSum.map((s, k) => s / truthN[k]!);
  return { observations: o, trueProfitPerCustomer, ...(log ? { log: log.finish() } : {}) };
}

/** Control flags drawn at random with probability `share` (the in-process stand-in for the hash). */
export function randomControl(n: number, share: number, seed: number): Uint8Array {
  const rng = new Xoshiro128(seed);
  const control = new Uint8Array(n);
  for (let i = 0; i < n; i++) control[i] = rng.uniform() < share ? 1 : 0;
  return control;
}

/** Expected (true) incremental profit of treating every customer as `decision` says. */
export function trueIncrementalProfit(
  pop: CampaignPopulation,
  actions: readonly SimulatedAction[],
  decision: ReturnType<typeof decideCampaign>,
): number {
  let total = 0;
  for (let i = 0; i < pop.n; i++) {
    const k = decision.action[i]!;
    if (k < 0) continue;
    const a = actions[k] as SimulatedAction;
    total += a.margin * trueIncrementalPurchases(pop, i, trueUpliftOf(pop, a, i)) - a.cost;
  }
  return total;
}
