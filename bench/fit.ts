// Benchmark: fit BG/NBD and Pareto/NBD on 1,000,000 simulated customers, and Gamma-Gamma on the
// BG/NBD population's repeat buyers, and print the seconds each takes. Customers are simulated with the CDNOW estimates (weeks, 12 weeks of acquisition,
// 39-week calibration) and summarised from the day-resolution log, as a real log would be, so
// t_x and T sit on a day grid and identical (x, t_x, T) rows group.
//
//   bun run bench:fit [--customers N] [--exact]
// --exact also fits the exact continuous-time summaries and prints how day-merging shifts them.

import { summarize } from "../ml/features/summaries.ts";
import { fitBgNbd } from "../ml/models/bgnbd.ts";
import { fitGammaGamma } from "../ml/models/gamma-gamma.ts";
import { fitParetoNbd } from "../ml/models/pareto-nbd.ts";
import type { FitResult } from "../ml/models/types.ts";
import { simulateBgNbd } from "../ml/sim/bgnbd-simulator.ts";
import { simulateParetoNbd } from "../ml/sim/pareto-nbd-simulator.ts";
import { groupSummaries } from "../ml/training/group-summaries.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const args = process.argv.slice(2);
const customersArg = args.indexOf("--customers");
const customers = customersArg >= 0 ? Number(args[customersArg + 1]) : 1_000_000;
if (!(Number.isInteger(customers) && customers > 0)) {
  console.error(`--customers: expected a positive integer, got ${args[customersArg + 1]}`);
  process.exit(2);
}
const withExact = args.includes("--exact");
const results = benchResults("fit");

const BGNBD = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PARETO = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };
const simulation = { start: "1997-01-01", timeUnit: "week" as const };

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

function describe(fit: FitResult<object>): string {
  const params = Object.entries(fit.params)
    .map(([k, v]) => `${k}=${(v as number).toPrecision(4)}`)
    .join(" ");
  return (
    `${fit.seconds.toFixed(2)} s  (${fit.rows.toLocaleString("en-US")} distinct rows, ` +
    `${fit.evaluations} evaluations, ${fit.converged ? "converged" : "NOT converged"}, ` +
    `${fit.startsAgreeing}/${fit.starts} starts agree)  ${params}  LL=${fit.logLikelihood.toFixed(1)}`
  );
}

function shift(merged: object, exact: object): string {
  return Object.keys(exact)
    .map((k) => {
      const m = (merged as Record<string, number>)[k] ?? Number.NaN;
      const e = (exact as Record<string, number>)[k] ?? Number.NaN;
      return `${k} ${m > e ? "+" : ""}${((100 * (m - e)) / e).toFixed(1)}%`;
    })
    .join(", ");
}

// Warm the JIT on a small problem so the figures below are steady-state fitting speed.
{
  const warm = simulateBgNbd(BGNBD, { ...simulation, customers: 20_000, seed: 99 });
  const s = summarize(warm.log, warm.exact.options);
  fitBgNbd(s);
  fitParetoNbd(s);
}

console.log(
  `${customers.toLocaleString("en-US")} simulated customers per model (CDNOW parameters, weeks, 3 starts each)`,
);
for (const model of ["BG/NBD", "Pareto/NBD"] as const) {
  let t = performance.now();
  const population =
    model === "BG/NBD"
      ? simulateBgNbd(BGNBD, { ...simulation, customers, seed: 1 })
      : simulateParetoNbd(PARETO, { ...simulation, customers, seed: 1 });
  const simulated = seconds(t);
  t = performance.now();
  const summaries = summarize(population.log, population.exact.options);
  const summarized = seconds(t);
  t = performance.now();
  const grouped = groupSummaries(summaries.x, summaries.tx, summaries.T);
  const grouping = seconds(t);
  console.log(
    `${model}: simulate ${simulated} s, summarise the day log ${summarized} s, ` +
      `group ${grouped.n.toLocaleString("en-US")} distinct rows ${grouping} s`,
  );
  const fit = model === "BG/NBD" ? fitBgNbd(summaries) : fitParetoNbd(summaries);
  console.log(`${model} fit (day grid, grouping included): ${describe(fit)}`);
  results.add(`${model} fit, ${customers.toLocaleString("en-US")} customers`, fit.seconds, "s");
  if (model === "BG/NBD") {
    const spend = fitGammaGamma(summaries);
    console.log(`Gamma-Gamma fit (repeat buyers' mean spend): ${describe(spend)}`);
    results.add(
      `Gamma-Gamma fit, ${spend.customers.toLocaleString("en-US")} repeat buyers`,
      spend.seconds,
      "s",
    );
  }
  if (withExact) {
    const exact = model === "BG/NBD" ? fitBgNbd(population.exact) : fitParetoNbd(population.exact);
    console.log(`${model} fit (exact continuous times): ${describe(exact)}`);
    console.log(`${model} day-merged vs exact: ${shift(fit.params, exact.params)}`);
  }
}
