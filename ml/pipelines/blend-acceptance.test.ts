// Acceptance of the blend and the intervals on the CDNOW sample (classic split, weeks), everything
// out of fold (5 folds, seed 42). Needs ../shared/data/cdnow; says so loudly when it is absent.

import { expect, test } from "bun:test";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";
import { trainOnCdnowSample } from "../testing/cdnow-training.ts";

const samplePath = cdnowSampleOrWarn("the CDNOW blend acceptance test");

test.skipIf(samplePath === null)(
  "CDNOW: the recommended blend beats BG/NBD by ≥ 2% on deviance, total within 5%; intervals calibrated",
  async () => {
    const { summaries, trained } = await trainOnCdnowSample(samplePath as string);
    const m = trained.metrics.models;
    const bg = m.bgnbd.holdout;
    const gbdt = m.gbdt_count?.holdout;
    const blend = m.blend?.holdout;
    if (!bg || !gbdt || !blend) throw new Error("holdout metrics missing");
    expect(trained.recommended).toBe("blend");
    expect(trained.metrics.comparison.recommended).toBe("blend");
    const deviance = blend.poisson_deviance as number;
    expect(deviance).toBeLessThanOrEqual(0.98 * (bg.poisson_deviance as number));
    expect(deviance).toBeLessThanOrEqual(1.567);
    expect(deviance).toBeLessThan(gbdt.poisson_deviance as number);
    const totalError = (blend.predicted_total as number) / 1882 - 1;
    expect(Math.abs(totalError)).toBeLessThan(0.05);
    // RMSE below BG/NBD's (1.6080 at this fold seed), the issue's target: 1.6055 since BG/NBD's
    // rate if alive h·(r + x)/(α + T) joined the stack (before: 1.6096). The margin is inside the
    // noise (the bag's member seeds moved the three-member blend's figure by about ±0.009, README);
    // what chose the member is the mean over fold seeds 42, 7, 1, 2, 3: deviance 1.512 against 1.532
    // and RMSE 1.602 against 1.605 before (bench/blend-candidates.ts --members).
    const rmse = blend.rmse as number;
    expect(rmse).toBeLessThan(bg.rmse as number);
    expect(rmse).toBeLessThan(gbdt.rmse as number);
    // The stack's members as trained: BG/NBD, Pareto/NBD, the GBDT bag and the rate if alive.
    expect(m.blend?.inputs).toEqual(["bgnbd", "pareto_nbd", "gbdt", "rate_if_alive"]);

    // Every model's 80% and 95% intervals cover within 3 points of nominal (randomised PIT) on
    // the holdout, and the served integer intervals cover at least that.
    const calibration = trained.metrics.calibration?.models ?? {};
    for (const name of ["bgnbd", "pareto_nbd", "gbdt", "blend"]) {
      const c = calibration[name];
      if (!c) throw new Error(`no calibration for ${name}`);
      expect(c.customers).toBe(summaries.n);
      for (const level of c.levels.filter((l) => l.level >= 0.8)) {
        expect(level.interval_coverage as number).toBeGreaterThanOrEqual(level.level - 0.03);
        expect(level.spend_coverage as number).toBeGreaterThanOrEqual(level.level - 0.03);
      }
    }
    const segments = trained.metrics.by_segment ?? {};
    expect(Object.keys(segments).sort()).toEqual(["bgnbd", "blend", "gbdt", "pareto_nbd"]);
    expect(segments.blend?.map((s) => s.segment)).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7+",
    ]);

    const line = (name: string, c: (typeof calibration)[string] | undefined) =>
      `  ${name}: ${c?.levels.map((l) => `${l.level}: ${(100 * (l.coverage as number)).toFixed(1)}% (${(100 * (l.interval_coverage as number)).toFixed(1)}%, spend ${(100 * (l.spend_coverage as number)).toFixed(1)}%)`).join(", ")}; PIT ${c?.pit_histogram.map((v) => (v as number).toFixed(3)).join(" ")}`;
    console.log(
      [
        "CDNOW holdout, out of fold: blend vs BG/NBD vs GBDT",
        `  Poisson deviance ${deviance.toFixed(4)} vs ${(bg.poisson_deviance as number).toFixed(4)} vs ${(gbdt.poisson_deviance as number).toFixed(4)}`,
        `  RMSE ${(blend.rmse as number).toFixed(4)} vs ${(bg.rmse as number).toFixed(4)} vs ${(gbdt.rmse as number).toFixed(4)}`,
        `  total ${(blend.predicted_total as number).toFixed(0)} vs ${(bg.predicted_total as number).toFixed(0)} vs ${(gbdt.predicted_total as number).toFixed(0)} (actual 1882)`,
        `  blend pooling ${m.blend?.pooling}, weights ${JSON.stringify(m.blend?.weights[0])}, dispersion ${JSON.stringify(m.blend?.dispersion)}`,
        "coverage, randomised (integer interval):",
        ...Object.keys(calibration).map((k) => line(k, calibration[k])),
      ].join("\n"),
    );
  },
  120_000,
);
