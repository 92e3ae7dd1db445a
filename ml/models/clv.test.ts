import { expect, test } from "bun:test";
import { bgnbdExpectedPurchases } from "./bgnbd.ts";
import {
  bgnbdClv,
  discountedExpectedPurchases,
  discountRatePerUnit,
  PERIODS_PER_YEAR,
  paretoNbdClv,
} from "./clv.ts";
import { gammaGammaExpectedSpend } from "./gamma-gamma.ts";
import { paretoNbdExpectedPurchases } from "./pareto-nbd.ts";
import { ModelInputError } from "./types.ts";

const BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PNBD = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };
const GG = { p: 6.25, q: 3.74, gamma: 15.44 };

test("without discounting, CLV is expected spend times expected purchases over the horizon", () => {
  const spend = gammaGammaExpectedSpend(GG, 2, 35);
  const clv = bgnbdClv(BG, GG, 2, 30.43, 38.86, 35, { horizon: 52, discountRate: 0 });
  expect(clv).toBeCloseTo(spend * bgnbdExpectedPurchases(BG, 52, 2, 30.43, 38.86), 10);
  const p = paretoNbdClv(PNBD, GG, 2, 30.43, 38.86, 35, { horizon: 52, discountRate: 0 });
  expect(p).toBeCloseTo(spend * paretoNbdExpectedPurchases(PNBD, 52, 2, 30.43, 38.86), 10);
});

test("each period's purchases are discounted to its end; a partial last period to the horizon", () => {
  const E = (t: number) => 0.5 * t; // a constant rate, to check the arithmetic by hand
  const got = discountedExpectedPurchases(E, { horizon: 2.5, discountRate: 0.1 });
  const want = 0.5 / 1.1 + 0.5 / 1.1 ** 2 + 0.25 / 1.1 ** 2.5;
  expect(got).toBeCloseTo(want, 12);
  const coarse = discountedExpectedPurchases(E, { horizon: 4, discountRate: 0.1, step: 2 });
  expect(coarse).toBeCloseTo(1 / 1.1 ** 2 + 1 / 1.1 ** 4, 12);
});

test("a yearly rate becomes the equivalent rate per model time unit", () => {
  const weekly = discountRatePerUnit({
    horizon: 52,
    discountRate: 0.1,
    discountPer: "year",
    periodsPerYear: PERIODS_PER_YEAR.week,
  });
  expect((1 + weekly) ** PERIODS_PER_YEAR.week).toBeCloseTo(1.1, 12);
  const yearly = bgnbdClv(BG, GG, 2, 30.43, 38.86, 35, {
    horizon: 52,
    discountRate: 0.1,
    discountPer: "year",
    periodsPerYear: PERIODS_PER_YEAR.week,
  });
  const perWeek = bgnbdClv(BG, GG, 2, 30.43, 38.86, 35, { horizon: 52, discountRate: weekly });
  expect(yearly).toBeCloseTo(perWeek, 12);
  const undiscounted = bgnbdClv(BG, GG, 2, 30.43, 38.86, 35, { horizon: 52, discountRate: 0 });
  expect(yearly).toBeLessThan(undiscounted);
  expect(yearly).toBeGreaterThan(undiscounted / 1.1);
});

test("bad options name the field", () => {
  expect(() =>
    discountRatePerUnit({ horizon: 52, discountRate: 0.1, discountPer: "year" }),
  ).toThrow(ModelInputError);
  expect(() => discountRatePerUnit({ horizon: -1, discountRate: 0 })).toThrow(/^horizon: /);
  expect(() => discountRatePerUnit({ horizon: 1, discountRate: -2 })).toThrow(/^discountRate: /);
});
