// Out-of-fold comparison of candidate recommended forecasts (issue #17) on CDNOW or any transaction
// log: BG/NBD, one GBDT and its blend on one K-fold split (`blend`; training now bags the count
// model, so `blend` is the blend before that), the do-no-harm guards on squared error
// (blend-guard.ts), the GBDT averaged over 3 splits (blend-repeated-cv.ts) with the stack on one
// split or over the same 3, and the latter's weights applied to one GBDT's forecast (what a bundle
// serving one count model would get); with --more, the GBDT boosted on top of BG/NBD (log BG/NBD as
// the Poisson offset) and with monotone constraints; with --bagged 5 GBDT seeds averaged in log;
// with --bag, bags nested in the folds (train-gbdt-bag.ts, --bags names from BAGS, --bag-seeds R
// other member seeds; `gbdt_boot_b5`/`blend_boot_b5` are what training serves), each with its blend;
// --bag-only skips the guards and repeated splits; with --members, the stack of BG/NBD, Pareto/NBD
// and the 3-member bag as trained (`gbdt_bag3`, `blend_bag3`: the blend before the fourth member
// joined) with more members (`--members rate_if_alive,naive,naive_alive,naive_floor,gbdt_sq`, each
// `blend_plus_<name>`, and all of them together as `blend_plus_all`): see rateMembers
// (`blend_plus_rate_if_alive` is what training now serves) and `gbdt_sq` = the GBDT on squared
// error (one model, out of fold). Deviance, RMSE and total, then the mean
// predicted/actual and RMSE per calibration-frequency segment, then the mean over the seeds.
// Measures only.
// Usage: bun bench/blend-candidates.ts [--seeds 42,7] [--more] [--bagged]
//          [--bag [--bags sub80_b5,boot_b5] [--bag-seeds 10] [--bag-only]]
//          [--members rate_if_alive,naive,naive_alive,naive_floor,gbdt_sq]
//          [--log FILE --format csv|parquet|json --calibration-end D --holdout-end D --time-unit week]

import { CDNOW_SAMPLE_PATH, cdnowSampleOrWarn } from "../ml/data/cdnow-sample.ts";
import { type Fold, kFoldSplit } from "../ml/evaluation/k-fold.ts";
import { countMetrics } from "../ml/evaluation/metrics.ts";
import type { TimeUnit } from "../ml/features/customer-summaries.ts";
import { FEATURE_LAYOUT, type FeatureName } from "../ml/features/feature-vector.ts";
import type { GbdtTrainOptions } from "../ml/gbdt/train-gbdt.ts";
import { DEFAULT_BAG, type GbdtBagOptions } from "../ml/gbdt/train-gbdt-bag.ts";
import { rateIfAliveColumn } from "../ml/models/rate-if-alive.ts";
import { blendForecast, crossValidateBlend, fitBlendWeights } from "../ml/pipelines/blend.ts";
import { crossValidateGuardedBlend } from "../ml/pipelines/blend-guard.ts";
import { moreFoldSplits } from "../ml/pipelines/blend-repeated-cv.ts";
import {
  crossValidateGbdt,
  gbdtOutOfFold,
  smallDataGbdtOptions,
} from "../ml/pipelines/gbdt-cross-validation.ts";
import { loadTrainingData } from "../ml/pipelines/load-training-data.ts";
import { crossValidateOffsetGbdt } from "../ml/pipelines/offset-gbdt.ts";
import { segmentErrors } from "../ml/pipelines/stacking.ts";
import { type DataFormat, trainModels } from "../ml/pipelines/train-models.ts";
import { exitOnHelp } from "./bench-help.ts";

exitOnHelp(import.meta.path);

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const seeds = arg("seeds", "42,7").split(",").map(Number);
const logPath = arg("log", "");
if (!logPath && cdnowSampleOrWarn("bench/blend-candidates.ts") === null) process.exit(0);
const format = (logPath ? arg("format", "csv") : "cdnow") as DataFormat;
const { log, summaries } = await loadTrainingData({
  path: logPath || CDNOW_SAMPLE_PATH,
  format,
  calibrationEnd: arg("calibration-end", "1997-09-30"),
  holdoutEnd: arg("holdout-end", "1998-06-30"),
  timeUnit: arg("time-unit", "week") as TimeUnit,
});
const n = summaries.n;
const y = summaries.holdoutPurchases;
const K = 5;
/** Features a customer's expected purchases should not fall with, given the others. */
const RISING: FeatureName[] = [
  "x",
  "t_x",
  "purchases_last_4w",
  "purchases_last_13w",
  "purchases_last_26w",
  "bgnbd_expected",
  "bgnbd_p_alive",
  "bgnbd_p_any",
  "pnbd_expected",
  "pnbd_p_alive",
];
const monotone = FEATURE_LAYOUT.names.map((name) => (RISING.includes(name) ? 1 : 0));

/** The do-no-harm guards and the repeated-CV candidates (skipped with --bag-only). */
async function guardAndRepeated(
  X: Float32Array,
  bg: Float64Array,
  pn: Float64Array,
  gbdt: Float64Array,
  folds: Fold[],
  options: GbdtTrainOptions,
  blendOf: (g: Float64Array) => Float64Array,
  seed: number,
): Promise<Record<string, Float64Array>> {
  const more = moreFoldSplits(n, K, seed);
  const repeated = await Promise.all(more.map((split) => gbdtOutOfFold(X, y, split, options)));
  const gbdt3 = Float64Array.from(
    gbdt,
    (g, i) => (g + repeated.reduce((s, r) => s + (r[i] ?? 0), 0)) / 3,
  );
  const threeSplits = crossValidateBlend([bg, pn, gbdt3], y, summaries.x, folds, more);
  // What serving would see: weights fitted on the averaged GBDT, applied to one GBDT's forecast
  // (the bundle serves a single count model), fold by fold on the first split.
  const servedLike = (pooling: number) => {
    const out = new Float64Array(n);
    for (const fold of folds) {
      const w = fitBlendWeights([bg, pn, gbdt3], y, summaries.x, fold.train, pooling);
      for (const i of fold.test)
        out[i] = blendForecast(w, summaries.x[i] ?? 0, [bg[i] ?? 0, pn[i] ?? 0, gbdt[i] ?? 0]);
    }
    return out;
  };
  const guard = (scope: "global" | "segment") =>
    crossValidateGuardedBlend([bg, pn, gbdt], y, summaries.x, folds, scope).oof;
  return {
    guard_global: guard("global"),
    guard_segment: guard("segment"),
    gbdt_3splits: gbdt3,
    blend_3gbdt_1stack: blendOf(gbdt3),
    blend_3splits: threeSplits.oof,
    blend_3splits_served: servedLike(threeSplits.final.pooling),
  };
}

/** Bags (train-gbdt-bag.ts) nested in the folds: `sub`/`boot` sampling, B members; each with its blend. */
const BAGS: Record<string, GbdtBagOptions> = {
  sub80_b3: { members: 3, sampling: "subsample", fraction: 0.8 },
  sub80_b5: { members: 5, sampling: "subsample", fraction: 0.8 },
  boot_b3: { members: 3, sampling: "bootstrap", fraction: 0.8 },
  boot_b5: { members: 5, sampling: "bootstrap", fraction: 0.8 },
  sub80_b10: { members: 10, sampling: "subsample", fraction: 0.8 },
  boot_b10: { members: 10, sampling: "bootstrap", fraction: 0.8 },
  sub80_b20: { members: 20, sampling: "subsample", fraction: 0.8 },
  boot_b20: { members: 20, sampling: "bootstrap", fraction: 0.8 },
};

/**
 * The rate members (--members): `rate_if_alive` = BG/NBD's posterior mean rate if alive,
 * h·(r + x)/(α + T) (ml/models/rate-if-alive.ts: what training stacks); `naive` = the calibration
 * rate x·h/T (no shrinkage: a young customer with x = 1 one day in is forecast 7 a week);
 * `naive_alive` = that times BG/NBD's P(alive); `naive_floor` = x·h/max(T, h).
 */
function rateMembers(pAlive: Float64Array, rAlpha: { r: number; alpha: number }) {
  const h = summaries.holdoutLength;
  const { x, T } = summaries;
  const each = (f: (x: number, T: number) => number) =>
    Float64Array.from({ length: n }, (_, i) => f(x[i] ?? 0, T[i] ?? 0));
  const naive = each((xi, Ti) => (Ti > 0 ? (xi * h) / Ti : 0));
  return {
    rate_if_alive: rateIfAliveColumn(rAlpha, x, T, h),
    naive,
    naive_alive: Float64Array.from(naive, (v, i) => v * (pAlive[i] ?? 0)),
    naive_floor: each((xi, Ti) => (xi * h) / Math.max(Ti, h)),
  } as Record<string, Float64Array>;
}

/** The 3-member stack on the bag with extra members, each alone and all together (--members). */
async function moreMembers(
  X: Float32Array,
  bg: Float64Array,
  pn: Float64Array,
  pAlive: Float64Array,
  folds: Fold[],
  options: GbdtTrainOptions,
  trainedBlend: Float64Array | null,
  rAlpha: { r: number; alpha: number },
): Promise<Record<string, Float64Array>> {
  const names = arg("members", "rate_if_alive,naive").split(",");
  const started = performance.now();
  // The count model as trained (train-models: the DEFAULT_BAG nested in the folds).
  const bag = (
    await crossValidateGbdt(X, y, folds, options, () => null, undefined, { bag: DEFAULT_BAG })
  ).oof;
  const stack = (extra: Float64Array[]) =>
    crossValidateBlend([bg, pn, bag, ...extra], y, summaries.x, folds);
  const base = stack([]);
  const out: Record<string, Float64Array> = { gbdt_bag3: bag, blend_bag3: base.oof };
  const rates = rateMembers(pAlive, rAlpha);
  const members: Record<string, Float64Array> = {};
  for (const name of names) {
    if (name === "gbdt_sq") {
      const sqOptions = smallDataGbdtOptions(
        "squared",
        Math.round((n * (K - 1)) / K),
        options.seed ?? 0,
      );
      const sq = (await crossValidateGbdt(X, y, folds, sqOptions, () => null)).oof;
      // A squared-error forecast can be negative; a member of a Poisson stack must not be.
      members[name] = Float64Array.from(sq, (v) => Math.max(0, v));
    } else {
      const member = rates[name];
      if (!member) throw new Error(`--members: unknown ${name}`);
      members[name] = member;
    }
  }
  for (const [name, member] of Object.entries(members)) {
    out[name] = member;
    const cv = stack([member]);
    out[`blend_plus_${name}`] = cv.oof;
    const w = cv.final.weights;
    console.log(
      `  blend_plus_${name}: pooling ${cv.final.pooling}, weights 0 / 7+ ${JSON.stringify(w[0]?.map((v) => +v.toFixed(3)))} / ${JSON.stringify(w[7]?.map((v) => +v.toFixed(3)))}`,
    );
  }
  if (names.length > 1) out.blend_plus_all = stack(Object.values(members)).oof;
  const asTrained = out.blend_plus_rate_if_alive;
  if (trainedBlend && asTrained) {
    const diff = trainedBlend.reduce(
      (d, v, i) => Math.max(d, Math.abs(v - (asTrained[i] ?? 0))),
      0,
    );
    console.log(
      `  blend_plus_rate_if_alive vs train-models' blend: max |difference| ${diff.toExponential(2)}`,
    );
  }
  console.log(`  members: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

const sums: Record<string, number[][]> = {};
for (const seed of seeds) {
  const trained = await trainModels(
    { log, summaries, source: logPath || "CDNOW", format },
    { seed },
  );
  const X = trained.features;
  if (!X) throw new Error("no features: the log needs a holdout period");
  const p = X.length / n;
  const column = (name: FeatureName) => {
    const j = FEATURE_LAYOUT.names.indexOf(name);
    return Float64Array.from({ length: n }, (_, i) => X[i * p + j] ?? 0);
  };
  const bg = column("bgnbd_expected");
  const pn = column("pnbd_expected");
  // The same folds and options as train-models, so `gbdt` is its out-of-fold count model without
  // the bag.
  const folds = kFoldSplit(n, K, seed);
  const options = smallDataGbdtOptions("poisson", Math.round((n * (K - 1)) / K), seed);
  const gbdtWith = async (extra: object) =>
    (await crossValidateGbdt(X, y, folds, { ...options, ...extra }, () => null)).oof;
  const blendOf = (g: Float64Array) => crossValidateBlend([bg, pn, g], y, summaries.x, folds).oof;
  const gbdt = await gbdtWith({});
  const candidates: Record<string, Float64Array> = {
    bgnbd: bg,
    pareto_nbd: pn,
    gbdt,
    blend: blendOf(gbdt),
  };
  if (!process.argv.includes("--bag-only")) {
    Object.assign(
      candidates,
      await guardAndRepeated(X, bg, pn, gbdt, folds, options, blendOf, seed),
    );
  }
  if (process.argv.includes("--more")) {
    const offset = crossValidateOffsetGbdt(X, y, bg, folds, options);
    const rising = await gbdtWith({ monotone });
    candidates.gbdt_on_bgnbd = offset;
    candidates.blend_on_bgnbd = blendOf(offset);
    candidates.gbdt_monotone = rising;
    candidates.blend_monotone = blendOf(rising);
  }
  if (process.argv.includes("--members")) {
    const trainedBlend = trained.stacking?.blendOof ?? null;
    Object.assign(
      candidates,
      await moreMembers(
        X,
        bg,
        pn,
        column("bgnbd_p_alive"),
        folds,
        options,
        trainedBlend,
        trained.metrics.models.bgnbd.params,
      ),
    );
  }
  if (process.argv.includes("--bag")) {
    const only = arg("bags", "sub80_b3,sub80_b5,boot_b3,boot_b5").split(",");
    // --bag-seeds R: each bag also with R − 1 other seeds for its members (same folds), to see
    // how much of a bag's score is the luck of its members' draws.
    const bagSeeds = Number(arg("bag-seeds", "1"));
    for (const name of only) {
      const bag = BAGS[name];
      if (!bag) throw new Error(`--bags: unknown ${name}`);
      for (let r = 0; r < bagSeeds; r++) {
        const started = performance.now();
        const bagOptions = { ...options, seed: seed + 1000 * r };
        const g = (await crossValidateGbdt(X, y, folds, bagOptions, () => null, undefined, { bag }))
          .oof;
        const seconds = (performance.now() - started) / 1000;
        const label = r === 0 ? name : `${name}_s${r}`;
        console.log(`  ${label}: ${seconds.toFixed(1)} s (${K} folds + final)`);
        candidates[`gbdt_${label}`] = g;
        candidates[`blend_${label}`] = blendOf(g);
      }
    }
  }
  if (process.argv.includes("--bagged")) {
    const runs = await Promise.all(
      [0, 1, 2, 3, 4].map((r) => (r === 0 ? gbdt : gbdtWith({ seed: seed + 1000 * r }))),
    );
    const bagged = Float64Array.from(gbdt, (_, i) =>
      Math.exp(runs.reduce((s, g) => s + Math.log(g[i] ?? 0), 0) / runs.length),
    );
    candidates.gbdt_bagged5 = bagged;
    candidates.blend_bagged5 = blendOf(bagged);
  }
  console.log(
    `\nseed ${seed} (${K} folds, out of fold; ${n} customers, actual total ${countMetrics(y, y).actual_total})`,
  );
  console.log(
    "model            deviance  RMSE    total  per segment 0..7+: predicted/actual mean RMSE",
  );
  for (const [name, f] of Object.entries(candidates)) {
    const m = countMetrics(y, f);
    sums[name] = [...(sums[name] ?? []), [m.poisson_deviance, m.rmse, m.predicted_total]];
    const segments = segmentErrors(summaries.x, y, f)
      .map((s) => `${s.predicted_mean.toFixed(2)}/${s.actual_mean.toFixed(2)} ${s.rmse.toFixed(2)}`)
      .join(" | ");
    console.log(
      `${name.padEnd(16)} ${m.poisson_deviance.toFixed(4)}  ${m.rmse.toFixed(5)}  ${m.predicted_total.toFixed(0).padStart(5)}  ${segments}`,
    );
  }
}
console.log(`\nmean over seeds ${seeds.join(", ")}: deviance  RMSE    total`);
for (const [name, rows] of Object.entries(sums)) {
  const mean = (j: number) => rows.reduce((s, r) => s + (r[j] ?? 0), 0) / rows.length;
  console.log(
    `${name.padEnd(20)} ${mean(0).toFixed(4)}  ${mean(1).toFixed(5)}  ${mean(2).toFixed(0).padStart(5)}`,
  );
}
