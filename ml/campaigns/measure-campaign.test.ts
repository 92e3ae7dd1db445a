// Measurement by hand-checkable numbers: Welch intervals, profit net of cost, ROI, the uplift
// scale, Qini end point; and the decision-log × purchases join (only days after the decision,
// same-day transactions one purchase, through the window end).
import { describe, expect, test } from "bun:test";
import { P_ALIVE_SEGMENTS, pAliveSegment } from "@pp/shared/campaigns/campaign-result.ts";
import { isoDateToDay } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleStandardNormal } from "../sim/samplers.ts";
import { type CampaignDecision, joinPurchases } from "./campaign-log-join.ts";
import { emptyObservations, realisedProfit } from "./campaign-observations.ts";
import { ArmSums, differenceOfMeans, welchQuantile95 } from "./difference-of-means.ts";
import { measureCampaign } from "./measure-campaign.ts";

describe("differenceOfMeans", () => {
  test("Welch standard error and the 95% interval with t at the Welch–Satterthwaite df", () => {
    const t = new ArmSums();
    const c = new ArmSums();
    for (const v of [1, 2, 3, 4]) t.add(v); // mean 2.5, variance 5/3
    for (const v of [0, 1, 2]) c.add(v); // mean 1, variance 1
    const d = differenceOfMeans(t, c);
    const se = Math.sqrt(5 / 3 / 4 + 1 / 3);
    // df = (5/12 + 1/3)² / ((5/12)²/3 + (1/3)²/2) = 4.959…; t(0.975, 4.959) = 2.5770…
    expect(welchQuantile95(t, c)).toBeCloseTo(2.577, 3);
    expect(d.estimate).toBeCloseTo(1.5, 12);
    expect(d.se).toBeCloseTo(se, 12);
    expect(d.lower).toBeCloseTo(1.5 - welchQuantile95(t, c) * se, 12);
    expect(d.upper).toBeCloseTo(1.5 + welchQuantile95(t, c) * se, 12);
  });

  test("arms of 4 and 6 normal values: the 95% intervals cover in 93–97% of 4,000 draws", () => {
    // Where Welch's t is (nearly) exact; the normal 1.96 covered about 88% here.
    const rng = new Xoshiro128(21);
    let covered = 0;
    for (let k = 0; k < 4000; k++) {
      const t = new ArmSums();
      const c = new ArmSums();
      for (let i = 0; i < 4; i++) t.add(1 + 2 * sampleStandardNormal(rng));
      for (let i = 0; i < 6; i++) c.add(sampleStandardNormal(rng));
      const d = differenceOfMeans(t, c);
      if (d.lower <= 1 && 1 <= d.upper) covered++;
    }
    expect(covered / 4000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 4000).toBeLessThanOrEqual(0.97);
  });
});

describe("measureCampaign", () => {
  test("per action: profit net of cost, ROI, uplift per predicted purchase, Qini end = total", () => {
    // One action, margin 10, cost 1; treated buy [2, 0, 1, 1], control [0, 1, 0]; predicted 1 each.
    const o = emptyObservations(8, ["email"]);
    const purchases = [2, 0, 1, 1, 0, 1, 0, 5];
    for (let i = 0; i < 8; i++) {
      o.action[i] = i < 7 ? 0 : -1; // the last customer got no action
      o.treated[i] = i < 4 || i === 7 ? 1 : 0;
      o.purchases[i] = purchases[i]!;
      o.spend[i] = 10 * purchases[i]!;
      o.margin[i] = i < 7 ? 10 : 0;
      o.cost[i] = i < 7 ? 1 : 0;
      o.assumedUplift[i] = 0.2;
      o.upliftBase[i] = 1;
      o.predictedProfit[i] = 7 - i;
      o.pAlive[i] = 0.5;
    }
    const r = measureCampaign(o, { campaign: "t", window: { start: "a", end: "b" } });
    expect(r.groups).toEqual({ treated: 5, control: 3, control_share: 3 / 8 });
    const a = r.actions[0];
    expect(a?.treated.customers).toBe(4);
    expect(a?.control.customers).toBe(3);
    // Treated profit per customer: 10·1 − 1 = 9; control: 10·(1/3).
    expect(a?.incremental_profit_per_customer.estimate).toBeCloseTo(9 - 10 / 3, 12);
    expect(a?.incremental_profit_total.estimate).toBeCloseTo(4 * (9 - 10 / 3), 12);
    expect(a?.realised_roi).toBeCloseTo((4 * (9 - 10 / 3)) / 4, 12);
    expect(a?.measured_uplift.estimate).toBeCloseTo(1 - 1 / 3, 12);
    expect(a?.assumed_uplift).toBeCloseTo(0.2, 12);
    expect(a?.segments.map((s) => s.segment)).toEqual(["0.3≤p_alive<0.7"]);
    const last = r.qini[r.qini.length - 1];
    expect(last?.cumulative_incremental_profit).toBeCloseTo(4 * 9 - (10 * 1 * 4) / 3, 9);
  });
});

/** Sums of `value` over the customers `keep` picks, in customer order. */
function sumsOf(n: number, keep: (i: number) => boolean, value: (i: number) => number): ArmSums {
  const sums = new ArmSums();
  for (let i = 0; i < n; i++) if (keep(i)) sums.add(value(i));
  return sums;
}

describe("measureCampaign arms", () => {
  test("a Qini end point apart from the incremental profit says why (one control pool)", () => {
    // email: 3 treated buying 1 each, 1 control buying 1; call: 1 treated buying 3, 3 control
    // buying 1 each; margin 10, no cost. Per action: email +0, call +20, incremental profit 20.
    // The Qini pools the control (4 customers, 40) against the 4 treated (60): 60 − 40·4/4 = 20.
    // Shifted so the pools differ: a second email treated customer changes the ratio.
    const rows: Array<[number, number, number]> = [
      [0, 1, 1],
      [0, 1, 1],
      [0, 1, 1],
      [0, 0, 1],
      [1, 1, 3],
      [1, 0, 1],
      [1, 0, 1],
      [1, 0, 1],
      [0, 1, 1],
      [0, 1, 1],
    ];
    const o = emptyObservations(rows.length, ["call", "email"]);
    rows.forEach(([action, treated, bought], i) => {
      o.action[i] = action === 0 ? 1 : 0;
      o.treated[i] = treated;
      o.purchases[i] = bought;
      o.margin[i] = 10;
      o.upliftBase[i] = 1;
      o.predictedProfit[i] = rows.length - i;
    });
    const r = measureCampaign(o, { campaign: "c", window: { start: "a", end: "b" } });
    // email: 5 treated at 10 against 1 control at 10 → 0; call: 10·3 − 10 = +20 → 20 in all.
    expect(r.incremental_profit).toBeCloseTo(20, 12);
    // Qini: 6 treated (80) against 4 control (40): 80 − 40·6/4 = 20: the same here…
    const end = r.qini[r.qini.length - 1]!.cumulative_incremental_profit;
    expect(end).toBeCloseTo(20, 12);
    expect(r.notes.join("\n")).not.toContain("Qini");
    // …but with call's control buying 2 each: per action 30 − 20 = +10; the pool 80+0 vs 60·6/4.
    o.purchases[5] = 2;
    o.purchases[6] = 2;
    o.purchases[7] = 2;
    const shifted = measureCampaign(o, { campaign: "c", window: { start: "a", end: "b" } });
    expect(shifted.incremental_profit).toBeCloseTo(10, 12);
    const shiftedEnd = shifted.qini[shifted.qini.length - 1]!.cumulative_incremental_profit;
    expect(shiftedEnd).toBeCloseTo(80 - (70 * 6) / 4, 12);
    expect(shifted.notes).toContain(
      "the Qini curve ends at -25.00, the incremental profit is 10.00: the curve compares all treated with all control customers in each top share (one control pool, scaled to the treated's number), the incremental profit each action's treated with its own control customers, so the two differ when the actions' arms are not in the same proportion",
    );
  });

  test("each action's and each P(alive) segment's arms hold exactly their customers", () => {
    // Two actions and no action, both groups, every segment and an unknown P(alive): each arm's
    // figures equal the same sums formed here customer by customer (to the bit).
    const n = 600;
    const rng = new Xoshiro128(5);
    const o = emptyObservations(n, ["call", "email"]);
    for (let i = 0; i < n; i++) {
      o.action[i] = (i % 3) - 1;
      o.treated[i] = rng.uniform() < 0.6 ? 1 : 0;
      o.purchases[i] = Math.floor(4 * rng.uniform());
      o.spend[i] = 17 * o.purchases[i]! + rng.uniform();
      o.margin[i] = o.action[i] === 0 ? 12 : 8;
      o.cost[i] = o.action[i] === 0 ? 3 : 0.5;
      o.assumedUplift[i] = 0.1;
      o.upliftBase[i] = 0.5 + rng.uniform();
      o.predictedProfit[i] = rng.uniform();
      o.pAlive[i] = i % 7 === 0 ? Number.NaN : rng.uniform();
    }
    const r = measureCampaign(o, { campaign: "t", window: { start: "a", end: "b" } });
    const purchases = (i: number) => o.purchases[i]!;
    const profit = (i: number) => realisedProfit(o, i);
    r.actions.forEach((a, k) => {
      const inArm = (t: number, s?: number) => (i: number) =>
        o.action[i] === k &&
        o.treated[i] === t &&
        (s === undefined || pAliveSegment(o.pAlive[i]!) === s);
      expect(a.treated.customers).toBe(sumsOf(n, inArm(1), purchases).n);
      expect(a.control.spend_per_customer).toBe(sumsOf(n, inArm(0), (i) => o.spend[i]!).mean);
      expect(a.incremental_purchases_per_customer).toEqual(
        differenceOfMeans(sumsOf(n, inArm(1), purchases), sumsOf(n, inArm(0), purchases)),
      );
      expect(a.incremental_profit_per_customer).toEqual(
        differenceOfMeans(sumsOf(n, inArm(1), profit), sumsOf(n, inArm(0), profit)),
      );
      expect(a.segments.map((s) => s.segment)).toEqual(P_ALIVE_SEGMENTS.map((s) => s.segment));
      a.segments.forEach((seg, s) => {
        expect([seg.treated, seg.control]).toEqual([
          sumsOf(n, inArm(1, s), purchases).n,
          sumsOf(n, inArm(0, s), purchases).n,
        ]);
        expect(seg.incremental_profit_per_customer).toEqual(
          differenceOfMeans(sumsOf(n, inArm(1, s), profit), sumsOf(n, inArm(0, s), profit)),
        );
      });
    });
    expect(r.groups.treated).toBe(sumsOf(n, (i) => o.treated[i] === 1, purchases).n);
  });
});

describe("joinPurchases", () => {
  test("counts purchase days after the decision day through the window end", () => {
    const b = new TransactionLogBuilder({ withQuantity: false });
    const day = (iso: string) => isoDateToDay(iso);
    const k = b.customerNumber("a");
    b.push(k, day("1997-09-30"), 5); // the decision day: before the decision's effect
    b.push(k, day("1997-10-02"), 7);
    b.push(k, day("1997-10-02"), 3); // same day: one purchase, both amounts
    b.push(k, day("1997-11-01"), 1);
    b.push(k, day("1998-01-15"), 9); // after the window
    b.push(b.customerNumber("stranger"), day("1997-10-05"), 4);
    const decision: CampaignDecision = {
      customerId: "a",
      decidedDay: day("1997-09-30"),
      group: "treated",
      action: "email",
      cost: 1,
      margin: 10,
      uplift: 0.1,
      expectedProfit: 0.5,
      expectedPurchases: 1.2,
      upliftBase: 1.2,
      pAlive: 0.8,
      horizonDays: Number.NaN, // not logged: the window alone bounds the purchases
    };
    const none = { ...decision, customerId: "b", action: "none", group: "control" as const };
    const j = joinPurchases([decision, none], b.finish(), day("1997-12-31"));
    expect(j.observations.actions).toEqual(["email"]);
    expect(Array.from(j.observations.purchases)).toEqual([2, 0]);
    expect(Array.from(j.observations.spend)).toEqual([11, 0]);
    expect(Array.from(j.observations.action)).toEqual([0, -1]);
    expect(j.unknownCustomers).toBe(1);
    expect(j.coverage).toEqual({ partial: 0, meanCoverage: 1, cutAtHorizon: 0 });

    // A 30-day horizon: the purchase of 1997-11-01 (day 32) is past it, not counted.
    const month = { ...decision, horizonDays: 30 };
    const cut = joinPurchases([month], b.finish(), day("1997-12-31"));
    expect(Array.from(cut.observations.purchases)).toEqual([1]);
    expect(Array.from(cut.observations.upliftBase)).toEqual([1.2]);
    expect(cut.coverage).toEqual({ partial: 0, meanCoverage: 1, cutAtHorizon: 1 });
    // A 91-day horizon measured over 31 days: its expected purchases scaled by 31/91.
    const quarter = { ...decision, horizonDays: 91 };
    const part = joinPurchases([quarter], b.finish(), day("1997-10-31"));
    expect(Array.from(part.observations.purchases)).toEqual([1]);
    expect(part.observations.upliftBase[0]).toBeCloseTo((1.2 * 31) / 91, 12);
    expect(part.coverage).toEqual({ partial: 1, meanCoverage: 31 / 91, cutAtHorizon: 0 });
  });

  test("the horizons' mean coverage is exact: 6,000 decisions each 31/91 covered mean 31/91", () => {
    const b = new TransactionLogBuilder({ withQuantity: false });
    b.push(b.customerNumber("a"), isoDateToDay("1997-10-05"), 4);
    const decision: CampaignDecision = {
      customerId: "a",
      decidedDay: isoDateToDay("1997-09-30"),
      group: "treated",
      action: "email",
      cost: 1,
      margin: 10,
      uplift: 0.1,
      expectedProfit: 0.5,
      expectedPurchases: 1.2,
      upliftBase: 1.2,
      pAlive: 0.8,
      horizonDays: 91,
    };
    const decisions = Array.from({ length: 6000 }, (_, i) => ({
      ...decision,
      customerId: `c${i}`,
    }));
    // A running sum of 6,000 × 31/91 came to 0.3406593406593722 (campaign.json's horizon_coverage).
    const j = joinPurchases(decisions, b.finish(), isoDateToDay("1997-10-31"));
    expect(j.coverage.meanCoverage).toBe(31 / 91);
  });
});

describe("measureCampaign's means of what the decisions assumed", () => {
  test("every decision at uplift 1.2 and cost 0.2: the report says 1.2 and 0.2", () => {
    // Summed one by one, sim-walk's 456 call decisions at 1.2 read 1.1999999999999948, its 815
    // treated emails at cost 0.2 cost 0.19999999999999912 each, and `campaign learn` took the
    // former as the prior of a policy without an uplift for the action.
    const [treated, control] = [815, 319];
    const o = emptyObservations(treated + control, ["email"]);
    for (let i = 0; i < o.n; i++) {
      o.action[i] = 0;
      o.treated[i] = i < treated ? 1 : 0;
      o.purchases[i] = i % 3;
      o.margin[i] = 10;
      o.cost[i] = 0.2;
      o.assumedUplift[i] = 1.2;
      o.upliftBase[i] = 0.1;
      o.predictedProfit[i] = 1;
    }
    const [email] = measureCampaign(o, {
      campaign: "c",
      window: { start: "1997-10-01", end: "1997-12-30" },
    }).actions;
    expect(email?.assumed_uplift).toBe(1.2);
    expect(email?.cost_per_customer).toBe(0.2);
  });

  test("a learned 0.3254 over 60 treated and 25 control reads 0.3254", () => {
    // Even summed exactly, 85 × 0.3254 rounds to a double whose 85th is 0.32539999999999997.
    const o = emptyObservations(85, ["call"]);
    for (let i = 0; i < o.n; i++) {
      o.action[i] = 0;
      o.treated[i] = i < 60 ? 1 : 0;
      o.purchases[i] = i % 2;
      o.margin[i] = 10;
      o.cost[i] = 6;
      o.assumedUplift[i] = 0.3254;
      o.upliftBase[i] = 0.5;
      o.predictedProfit[i] = 1;
    }
    const [call] = measureCampaign(o, {
      campaign: "c",
      window: { start: "1997-10-01", end: "1997-12-30" },
    }).actions;
    expect(call?.assumed_uplift).toBe(0.3254);
  });
});
