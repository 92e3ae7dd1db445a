// Out-of-fold comparison of candidate recommended forecasts on the CDNOW sample (issue #17): BG/NBD,
// the plain GBDT, today's `blend`, the GBDT on top of BG/NBD (log BG/NBD as the Poisson offset) and
// the blend that stacks that one instead of the plain GBDT; deviance, RMSE and total, then the
// holdout mean and RMSE per calibration-frequency segment. Measures only: nothing is chosen here.
// Usage: bun bench/blend-candidates.ts [--seeds 42,7]

import { readCdnowLog } from "../ml/data/cdnow-reader.ts";
import { cdnowSampleOrWarn } from "../ml/data/cdnow-sample.ts";
import { kFoldSplit } from "../ml/evaluation/k-fold.ts";
import { countMetrics } from "../ml/evaluation/metrics.ts";
import { FEATURE_LAYOUT } from "../ml/features/feature-vector.ts";
import { summarize } from "../ml/features/summaries.ts";
import { crossValidateBlend } from "../ml/pipelines/blend.ts";
import { crossValidateGbdt, smallDataGbdtOptions } from "../ml/pipelines/gbdt-cross-validation.ts";
import { crossValidateOffsetGbdt } from "../ml/pipelines/offset-gbdt.ts";
import { segmentErrors } from "../ml/pipelines/stacking.ts";
import { trainModels } from "../ml/pipelines/train-models.ts";

const seedsArg = process.argv.indexOf("--seeds");
const seeds = (seedsArg > 0 ? (process.argv[seedsArg + 1] ?? "42") : "42,7").split(",").map(Number);
const path = cdnowSampleOrWarn("bench/blend-candidates.ts");
if (path === null) process.exit(0);
const { log } = await readCdnowLog(path);
const summaries = summarize(log, {
  calibrationEnd: "1997-09-30",
  holdoutEnd: "1998-06-30",
  timeUnit: "week",
});
const n = summaries.n;
const y = summaries.holdoutPurchases;
const K = 5;

for (const seed of seeds) {
  const trained = await trainModels({ log, summaries, source: "CDNOW", format: "cdnow" }, { seed });
  const X = trained.features;
  if (!X) throw new Error("no features");
  const p = X.length / n;
  const column = (name: (typeof FEATURE_LAYOUT.names)[number]) => {
    const j = FEATURE_LAYOUT.names.indexOf(name);
    return Float64Array.from({ length: n }, (_, i) => X[i * p + j] as number);
  };
  const bg = column("bgnbd_expected");
  const pn = column("pnbd_expected");
  // The same folds and options as train-models, so `gbdt` is its out-of-fold count model.
  const folds = kFoldSplit(n, K, seed);
  const options = smallDataGbdtOptions("poisson", Math.round((n * (K - 1)) / K), seed);
  const gbdt = crossValidateGbdt(X, y, folds, options, () => null).oof;
  const offset = crossValidateOffsetGbdt(X, y, bg, folds, options);
  const candidates: Record<string, Float64Array> = {
    bgnbd: bg,
    pareto_nbd: pn,
    gbdt,
    blend: crossValidateBlend([bg, pn, gbdt], y, summaries.x, folds).oof,
    gbdt_on_bgnbd: offset,
    blend_on_bgnbd: crossValidateBlend([bg, pn, offset], y, summaries.x, folds).oof,
  };
  console.log(
    `\nseed ${seed} (${K} folds, out of fold; actual total ${countMetrics(y, y).actual_total})`,
  );
  console.log(
    "model            deviance   RMSE    total   per segment 0..7+: predicted/actual mean, RMSE",
  );
  for (const [name, f] of Object.entries(candidates)) {
    const m = countMetrics(y, f);
    const segments = segmentErrors(summaries.x, y, f)
      .map((s) => `${s.predicted_mean.toFixed(2)}/${s.actual_mean.toFixed(2)} ${s.rmse.toFixed(2)}`)
      .join(" | ");
    console.log(
      `${name.padEnd(16)} ${m.poisson_deviance.toFixed(4)}   ${m.rmse.toFixed(4)}  ${m.predicted_total.toFixed(0).padStart(5)}   ${segments}`,
    );
  }
}
