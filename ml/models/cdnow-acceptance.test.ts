// Acceptance on the CDNOW sample (../shared/data/cdnow, outside the repository) with the classic
// split: calibration to 1997-09-30, holdout to 1998-06-30, weeks. Each parameter within 1% of the
// published value, each log-likelihood within 0.5. Without the file the tests are skipped LOUDLY
// (and fail with CI_REQUIRE_CDNOW=1).

import { describe, expect, test } from "bun:test";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { summarize } from "../features/summaries.ts";
import {
  bgnbdExpectedPurchases,
  bgnbdLogLikelihood,
  bgnbdProbabilityAlive,
  fitBgNbd,
} from "./bgnbd.ts";
import { fitGammaGamma } from "./gamma-gamma.ts";
import { fitParetoNbd, paretoNbdLogLikelihood } from "./pareto-nbd.ts";

const path = cdnowSampleOrWarn("the BG/NBD, Pareto/NBD and Gamma-Gamma CDNOW acceptance tests");

const PUBLISHED = {
  bgnbd: { params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, ll: -9582.4 },
  pareto: { params: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 }, ll: -9595.0 },
  gammaGamma: { params: { p: 6.25, q: 3.74, gamma: 15.44 } },
};

let summaries: CustomerSummaries | null = null;
async function cdnow(): Promise<CustomerSummaries> {
  if (!summaries) {
    const { log } = await readCdnowLog(path as string);
    summaries = summarize(log, {
      calibrationEnd: "1997-09-30",
      holdoutEnd: "1998-06-30",
      timeUnit: "week",
    });
  }
  return summaries;
}

function expectWithinOnePercent(got: Record<string, number>, want: Record<string, number>): void {
  for (const [name, value] of Object.entries(want)) {
    const relative = Math.abs(got[name]! - value) / value;
    if (!(relative < 0.01)) throw new Error(`${name}: fitted ${got[name]}, published ${value}`);
    expect(relative).toBeLessThan(0.01);
  }
}

describe.skipIf(path === null)("CDNOW sample, published results", () => {
  test("2,357 customers and 946 repeat buyers in calibration", async () => {
    const s = await cdnow();
    expect(s.n).toBe(2357);
    expect(s.x.filter((v) => v > 0).length).toBe(946);
  }, 60_000);

  test("BG/NBD: log-likelihood at the published parameters, fit within 1% and LL within 0.5", async () => {
    const s = await cdnow();
    const { params, ll } = PUBLISHED.bgnbd;
    expect(Math.abs(bgnbdLogLikelihood(params, s) - ll)).toBeLessThan(0.5);
    const fit = fitBgNbd(s);
    expect(fit.converged).toBe(true);
    expect(fit.startsAgreeing).toBe(fit.starts);
    expectWithinOnePercent({ ...fit.params }, params);
    expect(Math.abs(fit.logLikelihood - ll)).toBeLessThan(0.5);
  }, 60_000);

  test("BG/NBD: the FHL (2005) example, x = 2, t_x = 30.43, T = 38.86, expects 1.226 in 39 weeks", () => {
    const p = PUBLISHED.bgnbd.params;
    expect(bgnbdExpectedPurchases(p, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
    const alive = bgnbdProbabilityAlive(p, 2, 30.43, 38.86);
    expect(alive).toBeGreaterThan(0.5);
    expect(alive).toBeLessThan(1);
  });

  test("Pareto/NBD: log-likelihood at the published parameters, fit within 1% and LL within 0.5", async () => {
    const s = await cdnow();
    const { params, ll } = PUBLISHED.pareto;
    expect(Math.abs(paretoNbdLogLikelihood(params, s) - ll)).toBeLessThan(0.5);
    const fit = fitParetoNbd(s);
    expect(fit.converged).toBe(true);
    expectWithinOnePercent({ ...fit.params }, params);
    expect(Math.abs(fit.logLikelihood - ll)).toBeLessThan(0.5);
  }, 60_000);

  test("Gamma-Gamma on the 946 repeat buyers' mean repeat spend: fit within 1%", async () => {
    const s = await cdnow();
    const fit = fitGammaGamma(s);
    expect(fit.customers).toBe(946);
    expect(fit.converged).toBe(true);
    expectWithinOnePercent({ ...fit.params }, PUBLISHED.gammaGamma.params);
  }, 60_000);
});

test("the CDNOW acceptance tests ran, or said loudly why not", () => {
  if (path === null) {
    expect(process.env.CI_REQUIRE_CDNOW).not.toBe("1");
  } else {
    expect(path).toContain("CDNOW_sample.txt");
  }
});
