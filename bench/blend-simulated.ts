// Where a BTYD model is the truth, does the blend stay out of its way? Trains simulated BG/NBD and
// Pareto/NBD populations (CDNOW-like parameters) with the count GBDT as one model and as a bag
// (gbdt-models.ts countBag), side by side in one run, and prints out-of-fold deviance and RMSE of
// the true model, the GBDT and the blend, the recommended model and the training time (issue #17).
// With --compare rate, the bag's blend without and with the rate-if-alive member (stacking.ts) instead.
// Usage: bun bench/blend-simulated.ts [--customers 800,2357,5000] [--seeds 1,2,3] [--models bgnbd,pareto]
//          [--compare bag|rate]

import { summarize } from "../ml/features/summaries.ts";
import { type SimulatedModel, simulatePopulation } from "../ml/pipelines/simulate.ts";
import { trainModels } from "../ml/pipelines/train-models.ts";
import { exitOnHelp } from "./bench-help.ts";

exitOnHelp(import.meta.path);

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const sizes = arg("customers", "800,2357,5000").split(",").map(Number);
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const models = arg("models", "bgnbd,pareto").split(",") as SimulatedModel[];
/** The two trainings per population: one GBDT vs the bag, or the bag's blend without/with the rate. */
const variants =
  arg("compare", "bag") === "rate"
    ? [
        { label: "3", key: "bag, 3 members", bagCount: true, rateIfAlive: false },
        { label: "4", key: "bag, +rate if alive", bagCount: true, rateIfAlive: true },
      ]
    : [
        { label: "no", key: "one", bagCount: false, rateIfAlive: true },
        { label: "yes", key: "bag", bagCount: true, rateIfAlive: true },
      ];

type Row = Record<string, number>;
const sums: Record<string, Row[]> = {};
console.log(
  "population          bag   truth dev/RMSE     gbdt dev/RMSE      blend dev/RMSE     recommended  seconds",
);
for (const model of models) {
  for (const customers of sizes) {
    for (const seed of seeds) {
      const population = simulatePopulation({ model, customers, seed });
      const w = population.exact.options;
      const summaries = summarize(population.log, {
        calibrationEnd: w.calibrationEnd,
        holdoutEnd: w.holdoutEnd as string,
        timeUnit: "week",
      });
      for (const { label, key: variant, bagCount, rateIfAlive } of variants) {
        const started = performance.now();
        const trained = await trainModels(
          { log: population.log, summaries, source: "bench", format: "simulated" },
          { seed, bagCount, rateIfAlive },
        );
        const seconds = (performance.now() - started) / 1000;
        const m = trained.metrics.models;
        const truth = model === "bgnbd" ? m.bgnbd.holdout : m.pareto_nbd?.holdout;
        const g = m.gbdt_count?.holdout;
        const b = m.blend?.holdout;
        const pair = (
          h: { poisson_deviance: number | null; rmse: number | null } | null | undefined,
        ) => `${Number(h?.poisson_deviance).toFixed(4)}/${Number(h?.rmse).toFixed(4)}`;
        const key = `${model} ${customers} ${variant}`;
        sums[key] = [
          ...(sums[key] ?? []),
          {
            excess: Number(b?.poisson_deviance) - Number(truth?.poisson_deviance),
            blendWins: trained.recommended === "blend" ? 1 : 0,
            seconds,
          },
        ];
        console.log(
          `${`${model} ${customers} s${seed}`.padEnd(20)}${label.padEnd(6)}${pair(truth).padEnd(19)}${pair(g).padEnd(19)}${pair(b).padEnd(19)}${trained.recommended.padEnd(13)}${seconds.toFixed(1)}`,
        );
      }
    }
  }
}
console.log("\nmean over seeds: blend deviance − true model's, blend recommended (share), seconds");
for (const [key, rows] of Object.entries(sums)) {
  const mean = (f: string) => rows.reduce((s, r) => s + (r[f] ?? 0), 0) / rows.length;
  console.log(
    `${key.padEnd(30)} ${mean("excess").toFixed(4).padStart(8)}  ${mean("blendWins").toFixed(2)}  ${mean("seconds").toFixed(1)}`,
  );
}
