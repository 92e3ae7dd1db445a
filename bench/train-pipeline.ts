// Prints how long training takes: the full `ml train` pipeline on the CDNOW sample (per step),
// and the demo model's training on a simulated 5,000-customer population (without the registry).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cdnowSampleOrWarn } from "../ml/data/cdnow-sample.ts";
import { summarize } from "../ml/features/summaries.ts";
import { buildBundle } from "../ml/pipelines/build-bundle.ts";
import { simulatePopulation } from "../ml/pipelines/simulate.ts";
import { createStepLog } from "../ml/pipelines/step-log.ts";
import { runTrainPipeline } from "../ml/pipelines/train.ts";
import { trainModels } from "../ml/pipelines/train-models.ts";
import { renderReportHtml } from "../ml/report/report-html.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const results = benchResults("train");

const out = await mkdtemp(join(tmpdir(), "pp-bench-train-"));
try {
  const sample = cdnowSampleOrWarn("bench/train-pipeline.ts (CDNOW timing)");
  if (sample) {
    for (let run = 1; run <= 2; run++) {
      const steps = createStepLog({ write: null });
      const started = performance.now();
      await runTrainPipeline({
        data: sample,
        format: "cdnow",
        calibrationEnd: "1997-09-30",
        holdoutEnd: "1998-06-30",
        timeUnit: "week",
        out: join(out, `cdnow-${run}`),
        steps,
        env: {},
        print: () => {},
      });
      const total = (performance.now() - started) / 1000;
      const parts = Object.entries(steps.seconds)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join("; ");
      console.log(`CDNOW ml train (run ${run}): ${total.toFixed(2)} s  [${parts}]`);
      if (run === 2) results.add("CDNOW ml train (whole pipeline)", total, "s");
    }
  }
  for (const customers of [5000, 20000]) {
    const started = performance.now();
    const population = simulatePopulation({ model: "bgnbd", customers, seed: 42 });
    const w = population.exact.options;
    const summaries = summarize(population.log, {
      calibrationEnd: w.calibrationEnd,
      holdoutEnd: w.holdoutEnd as string,
      timeUnit: "week",
    });
    const trained = await trainModels(
      { log: population.log, summaries, source: "bench", format: "simulated" },
      { fast: true, folds: 3 },
    );
    const reportHtml = await renderReportHtml(trained.report);
    buildBundle(trained, { trainedAt: new Date(), reportHtml });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `demo-style training (fast settings), ${customers} simulated customers: ${seconds.toFixed(2)} s`,
    );
    results.add(`demo-style training, ${customers} customers`, seconds, "s");
  }
} finally {
  await rm(out, { recursive: true, force: true });
}
