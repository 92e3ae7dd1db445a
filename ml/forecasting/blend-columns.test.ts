import { expect, test } from "bun:test";
import { blendColumns } from "./blend-columns.ts";
import { emptyColumns, type GbdtColumns, type ModelColumns } from "./model-columns.ts";

/** One customer's member columns: every member forecasts `mean` purchases and P(purchase) `p`. */
function member(mean: number, p: number): ModelColumns {
  const c = emptyColumns(1);
  c.expectedPurchases[0] = mean;
  c.pPurchase[0] = p;
  c.pAlive[0] = 0.7;
  c.expectedSpend[0] = mean * 100;
  c.clv[0] = mean * 95;
  return c;
}

function gbdtMember(mean: number, p: number): GbdtColumns {
  return { ...member(mean, p), predictedSpend: new Float64Array([mean * 100]), horizonShift: null };
}

// A blend is a weighted stack of its members' forecasts; its P(purchase) was 1 − P(0) of a
// negative binomial around the blend's mean alone (dispersion 0.62 on a 50,000-customer simulated
// BG/NBD log), which ignores how the members place their zeros: 0.361 on average for a share
// buying of 0.344 there (BG/NBD's own 0.344, and 94% of the blend), the top decile 0.802 for 0.823
// and on CDNOW 0.683 for 0.800. Members that all agree must leave their P(purchase) as it is.
test("a blend of members that agree serves their P(purchase)", () => {
  const weights = Array.from({ length: 8 }, () => [0.5, 0.1, 0.3, 0.1]);
  for (const [mean, p] of [
    [0.5, 0.3],
    [2.4, 0.62],
    [0.05, 0.049],
  ] as const) {
    const out = blendColumns(
      weights,
      [0],
      [member(mean, p), member(mean, p), gbdtMember(mean, p), member(mean, p)],
      [null],
    );
    expect(out.expectedPurchases[0]).toBeCloseTo(mean, 12);
    expect(out.pPurchase[0]).toBeCloseTo(p, 12);
  }
});

test("the blend's P(purchase) mixes its members' as the segment weighs them", () => {
  // Segment 2 (x = 2) puts 0.6 on BG/NBD and 0.2 on the GBDT (and on the rate if alive): a mixture
  // of their distributions, normalised by the weights' sum (0.9 here: the stack's level).
  const weights = Array.from({ length: 8 }, () => [0.6, 0, 0.2, 0.1]);
  const out = blendColumns(
    weights,
    [2],
    [member(0.8, 0.4), member(5, Number.NaN), gbdtMember(1.0, 0.5), member(1.5, 0.7)],
    [null],
  );
  expect(out.pPurchase[0]).toBeCloseTo((0.6 * 0.4 + 0.2 * 0.5 + 0.1 * 0.7) / 0.9, 12);
  // Never above the mean (a count's P(at least one) is at most its mean).
  const low = blendColumns(
    weights,
    [2],
    [member(0.01, 0.4), member(0, 0), gbdtMember(0.01, 0.4), member(0.01, 0.4)],
    [null],
  );
  expect(low.pPurchase[0]).toBeCloseTo(low.expectedPurchases[0]!, 12);
});
