// Per-action uplift from a campaign with an exploration share, by inverse propensity: each treated
// customer logged with action k weighs 1/propensity (Hájek: the weighted mean of its purchases
// estimates what every treated customer eligible for k would have bought under k), compared with
// the control customers for whom k was eligible (a random sample of the same customers). The
// greedy arm's comparison measures k only on the customers the policy already picks for it.
// Each customer's purchases are taken less c × its uplift base (its expected purchases under the
// expected-profit model; c = the control customers' purchases per unit of base, so a biased forecast
// cancels): the explored rows weigh up to 1/propensity each, and which heavy buyers happen to be
// explored dominated the plain means (a simulated coupon 0.380 ± 0.122 against about 0.2).
import type { ExploredEstimate } from "@pp/shared/campaigns/campaign-result.ts";
import { P_ALIVE_SEGMENTS, pAliveSegment } from "@pp/shared/campaigns/campaign-result.ts";
import type { CampaignObservations } from "./campaign-observations.ts";
import { Z_975 } from "./t-quantile-975.ts";

/** Weighted sums of one arm: Σw, Σw·y, Σw²·y, Σw²·y², Σw², and the uplift bases. */
class WeightedArm {
  n = 0;
  w = 0;
  wy = 0;
  w2 = 0;
  w2y = 0;
  w2y2 = 0;
  base = 0;
  assumed = 0;

  add(y: number, w: number, base: number, assumed = 0): void {
    this.n++;
    this.assumed += assumed;
    this.w += w;
    this.wy += w * y;
    this.w2 += w * w;
    this.w2y += w * w * y;
    this.w2y2 += w * w * y * y;
    this.base += base;
  }

  get mean(): number {
    return this.wy / this.w;
  }

  /** Linearised variance of the Hájek mean: Σw²(y − ȳ)² / (Σw)². */
  get variance(): number {
    const m = this.mean;
    return (this.w2y2 - 2 * m * this.w2y + m * m * this.w2) / (this.w * this.w);
  }
}

interface ArmPair {
  treated: WeightedArm;
  control: WeightedArm;
  explored: number;
}

const newPair = (): ArmPair => ({
  treated: new WeightedArm(),
  control: new WeightedArm(),
  explored: 0,
});

function estimate(pair: ArmPair): ExploredEstimate {
  const { treated, control } = pair;
  // What the uplift multiplies, over the customers eligible for the action (both arms, unweighted).
  const meanBase = (treated.base + control.base) / (treated.n + control.n);
  const diff = treated.mean - control.mean;
  const se = Math.sqrt(
    treated.variance + control.variance * (control.n / Math.max(1, control.n - 1)),
  );
  const u = diff / meanBase;
  const seU = se / meanBase;
  const ok = treated.n >= 2 && control.n >= 2 && meanBase > 0;
  return {
    explored_rows: pair.explored,
    weighted_rows: treated.n,
    control: control.n,
    assumed_uplift: treated.n > 0 ? treated.assumed / treated.n : Number.NaN,
    uplift: ok
      ? { estimate: u, lower: u - Z_975 * seU, upper: u + Z_975 * seU, se: seU }
      : { estimate: Number.NaN, lower: Number.NaN, upper: Number.NaN, se: Number.NaN },
  };
}

/** Adds customer i to the pairs of every action it is in (logged under, or eligible as control). */
function addCustomer(o: CampaignObservations, i: number, pairs: ArmPair[][], c: number): void {
  const x = o.exploration as NonNullable<CampaignObservations["exploration"]>;
  const s = pAliveSegment(o.pAlive[i]!);
  const into = (k: number, add: (p: ArmPair) => void) => {
    add(pairs[k]![0]!);
    if (s >= 0) add(pairs[k]![1 + s]!);
  };
  const base = o.upliftBase[i]!;
  const y = o.purchases[i]! - c * base;
  if (!o.treated[i]) {
    for (const k of x.eligible[i] ?? []) into(k, (p) => p.control.add(y, 1, base));
    return;
  }
  const k = o.action[i]!;
  const p = x.propensity[i]!;
  if (k < 0 || !(p > 0)) return;
  into(k, (pair) => {
    pair.treated.add(y, 1 / p, base, o.assumedUplift[i]);
    if (x.explored[i]) pair.explored++;
  });
}

/**
 * Each action's inverse-propensity estimate (null without exploration data), overall and per
 * P(alive) segment, in `o.actions` order.
 */
export function exploredEstimates(o: CampaignObservations): ExploredEstimate[] | null {
  if (!o.exploration) return null;
  const pairs = o.actions.map(() => [newPair(), ...P_ALIVE_SEGMENTS.map(newPair)]);
  let [bought, bases] = [0, 0];
  for (let i = 0; i < o.n; i++) {
    if (o.treated[i]) continue;
    bought += o.purchases[i]!;
    bases += o.upliftBase[i]!;
  }
  const c = bases > 0 ? bought / bases : 0;
  for (let i = 0; i < o.n; i++) addCustomer(o, i, pairs, c);
  return pairs.map(([all, ...segs]) => ({
    ...estimate(all as ArmPair),
    segments: segs.flatMap((pair, s) => {
      if (pair.treated.n === 0 && pair.control.n === 0) return [];
      const def = P_ALIVE_SEGMENTS[s] as (typeof P_ALIVE_SEGMENTS)[number];
      return [
        { segment: def.segment, min_p_alive: def.min, max_p_alive: def.max, ...estimate(pair) },
      ];
    }),
  }));
}
