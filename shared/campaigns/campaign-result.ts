// What a measured campaign looks like (`ml campaign report` writes it, the decision service's
// campaign page and metrics read it): per action, treated vs control, incremental effects with
// their 95% intervals, and the Qini curve by predicted-profit decile.

/** An estimate with its 95% interval. */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  /** Standard error of the estimate. */
  se: number;
}

export interface ArmSummary {
  customers: number;
  purchases_per_customer: number;
  spend_per_customer: number;
  /** Margin × purchases (− cost for the treated arm), per customer. */
  profit_per_customer: number;
}

export interface ActionResult {
  action: string;
  treated: ArmSummary;
  control: ArmSummary;
  cost_per_customer: number;
  incremental_purchases_per_customer: Interval;
  incremental_spend_per_customer: Interval;
  /** Treated minus control profit per customer: margin × purchases − cost vs margin × purchases. */
  incremental_profit_per_customer: Interval;
  /** The per-customer interval times the treated customers. */
  incremental_profit_total: Interval;
  /** Incremental profit / cost spent (null when nothing was spent). */
  realised_roi: number | null;
  /** Mean uplift the decisions assumed. */
  assumed_uplift: number;
  /**
   * Incremental purchases / mean uplift base (what the uplift multiplies under the deciding
   * policy's profit model; expected purchases under expected-profit): the uplift as it defines it.
   */
  measured_uplift: Interval;
  /**
   * The profit model of the policies that decided the action's customers, whose units the
   * measured uplift is in; null when they were decided under several (their units pooled, so
   * `campaign learn` leaves the action alone). Absent in results stored before it was kept.
   */
  profit_model?: string | null;
  /**
   * Later contacts (another wave) of the action's treated customers, per their action: each
   * customer is measured under its first contact, so their cost is in this action's cost and
   * their effect in its measured effect. Absent when there were none (and in older results).
   */
  later_contacts?: Array<{ action: string; contacts: number; cost: number }>;
  /** Per P(alive) segment (present when the log has P(alive)). */
  segments: SegmentResult[];
  /**
   * With an exploration share: the action's uplift by inverse propensity over every treated
   * customer it was logged for (ml/campaigns/explored-arms.ts). Absent without exploration.
   */
  explored?: ExploredEstimate;
}

/** An action's inverse-propensity uplift estimate (overall, or of one P(alive) segment). */
export interface ExploredEstimate {
  /** Treated customers given the action by exploration (the rows that carry the estimate). */
  explored_rows: number;
  /** Treated customers logged with the action and a propensity (weighted by 1/propensity). */
  weighted_rows: number;
  /** Control customers for whom the action was eligible (the comparison arm). */
  control: number;
  uplift: Interval;
  /** Mean uplift the decisions of its treated rows assumed (the prior of an action never greedy). */
  assumed_uplift: number;
  segments?: Array<
    ExploredEstimate & { segment: string; min_p_alive: number; max_p_alive: number }
  >;
}

export interface SegmentResult {
  segment: string;
  min_p_alive: number;
  max_p_alive: number;
  treated: number;
  control: number;
  incremental_profit_per_customer: Interval;
  measured_uplift: Interval;
}

/** One point of the Qini curve: the top `fraction` of customers by predicted profit. */
export interface QiniPoint {
  decile: number;
  fraction: number;
  customers: number;
  /** Cumulative incremental profit if the top fraction were treated (treated − scaled control). */
  cumulative_incremental_profit: number;
  /** What random targeting of the same share would give. */
  random: number;
}

export interface CampaignResult {
  campaign: string;
  window: { start: string; end: string };
  groups: { treated: number; control: number; control_share: number };
  method: string;
  actions: ActionResult[];
  qini: QiniPoint[];
  /** Sum over the measured actions of the total incremental profit; null when none could be. */
  incremental_profit: number | null;
  /** Mean share of the decisions' horizons the window covers (1: all; absent before it was kept). */
  horizon_coverage?: number;
  notes: string[];
}

/** P(alive) segments the report and `campaign learn` use: [min, max), the last closed. */
export const P_ALIVE_SEGMENTS = [
  { segment: "p_alive<0.3", min: 0, max: 0.3 },
  { segment: "0.3≤p_alive<0.7", min: 0.3, max: 0.7 },
  { segment: "p_alive≥0.7", min: 0.7, max: 1 },
] as const;

/** Index of the P(alive) segment of `p` (−1 when p is not a probability). */
export function pAliveSegment(p: number): number {
  if (!(p >= 0 && p <= 1)) return -1;
  if (p < 0.3) return 0;
  if (p < 0.7) return 1;
  return 2;
}
