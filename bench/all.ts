// `bun run bench`: runs every benchmark script in bench/ one after another (each in its own
// process, with --json) and prints one table of their figures, headed by the machine they ran on.
// Each script's own output goes to stderr as it runs.
//
//   bun bench/all.ts [--quick] [--only fit,soak,...] [--baseline [REF]] [--rounds N]
//                    [--aggregate median|best] [--confirm N] [--strict] [--help]
// Scripts (--only): fit, read, xlsx, gbdt, train, registry, embedded-store, forecast,
// forecast-compute, forecast-single, forecast-intervals, decision, workers, campaign, score, soak.
// --quick runs smaller problems and shorter load runs (minutes instead of a quarter of an hour).
// --baseline also runs each script from REF's code (default BENCH_BASELINE, bench/bench-baseline.ts),
// copied beside this checkout, alternating baseline and current N rounds (default 1; which runs
// first swaps every round), and prints both medians, current/baseline and a verdict: ✓ within 5% or
// better, ✗ worse by more.
// --aggregate best compares each side's best round instead of its median (see compare-figures.ts).
// --confirm N: a script with a figure worse by more than 5% runs N more rounds on both sides, and is
// judged again on all its rounds, so a ✗ stands only if it survives a second look (a fixed number of
// rounds, never stopped early on a pass: stopping once a figure passes would favour passing).
// Exit code 1 when a script failed; with --strict, 2 when a figure is worse by more than 5%.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { type BaselineCheckout, baselineCheckout, checkoutEnv } from "./baseline-checkout.ts";
import { BENCH_BASELINE } from "./bench-baseline.ts";
import { exitOnHelp } from "./bench-help.ts";
import { comparisonTable, formatValue, markdownTable, withinSpread } from "./bench-table.ts";
import {
  type Aggregate,
  benchExitCode,
  compareScript,
  type ScriptComparison,
  type ScriptRun,
  TOLERANCE,
  type Verdict,
} from "./compare-figures.ts";
import { runBenchScript } from "./run-bench-script.ts";

exitOnHelp(import.meta.path);

const root = resolve(import.meta.dirname, "..");
const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  const value = at >= 0 ? argv[at + 1] : undefined;
  return value === undefined || value.startsWith("--") ? undefined : value;
};
const quick = argv.includes("--quick");
const strict = argv.includes("--strict");
const only = argv.includes("--only") ? new Set((option("--only") ?? "").split(",")) : null;
const baselineRef = argv.includes("--baseline") ? (option("--baseline") ?? BENCH_BASELINE) : null;
const aggregateOption = option("--aggregate") ?? "median";
if (aggregateOption !== "median" && aggregateOption !== "best") {
  console.error(`--aggregate: expected median or best, got ${aggregateOption}`);
  process.exit(1);
}
const aggregate: Aggregate = aggregateOption;
function countOption(name: string, fallback: number, least: number): number {
  const value = Number(option(name) ?? fallback);
  if (Number.isInteger(value) && value >= least) return value;
  console.error(`${name}: expected an integer ≥ ${least}, got ${option(name)}`);
  process.exit(2);
}
const rounds = countOption("--rounds", 1, 1);
const confirmRounds = countOption("--confirm", 0, 0);

interface BenchScript {
  name: string;
  file: string;
  args: string[];
  quickArgs: string[];
}

const scripts: BenchScript[] = [
  { name: "fit", file: "fit.ts", args: [], quickArgs: ["--customers", "100000"] },
  { name: "read", file: "read.ts", args: [], quickArgs: ["200000"] },
  { name: "xlsx", file: "xlsx.ts", args: [], quickArgs: ["100000", "--rounds", "2"] },
  { name: "gbdt", file: "gbdt.ts", args: [], quickArgs: ["--large", "100000"] },
  { name: "train", file: "train-pipeline.ts", args: [], quickArgs: [] },
  { name: "registry", file: "registry.ts", args: [], quickArgs: [] },
  { name: "embedded-store", file: "embedded-store.ts", args: [], quickArgs: [] },
  { name: "forecast", file: "forecast.ts", args: [], quickArgs: ["3"] },
  { name: "forecast-compute", file: "forecast-compute.ts", args: [], quickArgs: ["50"] },
  { name: "forecast-single", file: "forecast-single.ts", args: [], quickArgs: ["3", "2"] },
  {
    name: "forecast-intervals",
    file: "forecast-intervals.ts",
    args: [],
    quickArgs: ["1", "--rounds", "2"],
  },
  { name: "decision", file: "decision.ts", args: [], quickArgs: ["3"] },
  { name: "workers", file: "workers.ts", args: [], quickArgs: ["50", "1"] },
  {
    name: "campaign",
    file: "campaign.ts",
    args: [],
    quickArgs: ["--customers", "20000", "--campaigns", "50"],
  },
  { name: "score", file: "score.ts", args: [], quickArgs: ["--customers", "100000"] },
  {
    name: "soak",
    file: "soak.ts",
    args: [],
    quickArgs: ["--seconds", "10", "--probe-seconds", "3"],
  },
];

/**
 * Stops on what the options above would silently ignore: an unknown flag (`--quik` ran the full
 * quarter-hour suite) or an `--only` name no script has (`--only forecast-interval` ran nothing
 * and printed an empty table with exit 0).
 */
function checkArguments(): void {
  const flags = new Set(["--quick", "--strict", "--only", "--baseline", "--rounds", "--aggregate"]);
  flags.add("--confirm");
  const unknown = argv.filter((a) => a.startsWith("-") && !flags.has(a));
  const names = scripts.map((s) => s.name);
  const badNames = [...(only ?? [])].filter((n) => !names.includes(n));
  if (unknown.length === 0 && badNames.length === 0) return;
  if (unknown.length > 0) console.error(`unknown option ${unknown.join(", ")} (--help lists them)`);
  if (badNames.length > 0) {
    console.error(
      `--only: no script named ${badNames.join(", ")}; the scripts: ${names.join(",")}`,
    );
  }
  process.exit(2);
}
checkArguments();

const selected = scripts.filter((s) => !only || only.has(s.name));
const argsOf = (s: BenchScript) => (quick ? s.quickArgs : s.args);

interface Sides {
  before: ScriptRun[];
  after: ScriptRun[];
  hasBase: boolean;
}

/**
 * Runs `script` for rounds `from`..`to` of `total`, appending to `sides`. With a baseline, odd
 * rounds run the baseline's copy first and even rounds this one first (A B, B A, ...): whatever
 * slows the second process of a pair (the machine warming, the first's page cache and memory still
 * being given back) then falls on both sides alike. When the order never changed, score's figures
 * for the same old commit came out 8-26% slower on the side that always ran second.
 */
async function runRounds(
  script: BenchScript,
  baseline: BaselineCheckout | null,
  sides: Sides,
  from: number,
  to: number,
  total: number,
) {
  const baseFile = baseline ? join(baseline.dir, "bench", script.file) : null;
  for (let round = from; round <= to; round++) {
    const of = total > 1 ? `, round ${round}/${total}` : "";
    const runBaseline = async () => {
      if (!(baseline && baseFile && sides.hasBase)) return;
      sides.before.push(
        await runBenchScript({
          file: baseFile,
          args: argsOf(script),
          cwd: baseline.dir,
          env: checkoutEnv(root),
          label: `${script.name} (baseline ${baseline.commit.slice(0, 7)}${of})`,
        }),
      );
    };
    const runCurrent = async () => {
      sides.after.push(
        await runBenchScript({
          file: join(root, "bench", script.file),
          args: argsOf(script),
          cwd: root,
          label: `${script.name}${baseline ? ` (current${of})` : of}`,
        }),
      );
    };
    const order = round % 2 === 1 ? [runBaseline, runCurrent] : [runCurrent, runBaseline];
    for (const run of order) await run();
  }
}

/** Runs `script` on both sides, then, with --confirm, again when a figure came out worse. */
async function runSides(script: BenchScript, baseline: BaselineCheckout | null) {
  const hasBase = baseline !== null && existsSync(join(baseline.dir, "bench", script.file));
  const sides: Sides = { before: [], after: [], hasBase };
  const compare = () =>
    compareScript(
      { bench: script.name, baseline: hasBase ? sides.before : null, current: sides.after },
      TOLERANCE,
      aggregate,
    );
  await runRounds(script, baseline, sides, 1, rounds, rounds);
  const first = compare();
  const worse = first.figures.filter((f) => f.verdict === "worse").length;
  if (!hasBase || confirmRounds === 0 || worse === 0) return first;
  const total = rounds + confirmRounds;
  process.stderr.write(`\n=== bench ${script.name}: ${worse} ✗, ${confirmRounds} more rounds\n`);
  await runRounds(script, baseline, sides, rounds + 1, total, total);
  return { ...compare(), confirmed: { worseBefore: worse, rounds: total } };
}

/** Bench scripts in the baseline that this all.ts does not know (so has no arguments for). */
function baselineOnly(baseline: BaselineCheckout): ScriptComparison[] {
  const known = new Set(scripts.map((s) => s.file));
  return readdirSync(join(baseline.dir, "bench"))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !known.has(f))
    .filter((f) => /\bbenchResults\("/.test(readFileSync(join(baseline.dir, "bench", f), "utf8")))
    .map((f) => ({ bench: f.replace(/\.ts$/, ""), figures: [], failures: [], onlyIn: "baseline" }));
}

function currentCommit(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" });
  const dirty = git("status", "--porcelain").trim() !== "";
  return `${git("rev-parse", "--short", "HEAD").trim()}${dirty ? " + uncommitted changes" : ""}`;
}

// Other work on the machine moves the figures; the load average says how busy it was.
const loadAtStart = loadavg()[0] ?? 0;
let baseline: BaselineCheckout | null = null;
if (baselineRef) {
  baseline = baselineCheckout(root, baselineRef, []);
  process.on("exit", () => baseline?.remove());
  process.on("SIGINT", () => process.exit(130));
}
const comparisons: ScriptComparison[] = [];
for (const script of selected) comparisons.push(await runSides(script, baseline));
if (baseline && !only) comparisons.push(...baselineOnly(baseline));

const machine = `${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, bun ${Bun.version}, ${new Date().toISOString().slice(0, 10)}${quick ? ", --quick" : ""}, load average ${loadAtStart.toFixed(1)} at the start and ${(loadavg()[0] ?? 0).toFixed(1)} at the end`;
console.log(`\nBenchmarks on ${machine}\n`);
const figures = comparisons.flatMap((c) => c.figures);
if (baseline) {
  const count = (v: Verdict) => figures.filter((f) => f.verdict === v).length;
  console.log(
    `baseline ${baselineRef} (${baseline.commit.slice(0, 10)}) vs current ${currentCommit()}; ` +
      `${rounds} round${rounds > 1 ? "s" : ""} alternating, ${rounds > 1 ? `${aggregate === "best" ? "best round" : "medians"}, ` : ""}` +
      `ratio = current / baseline\n`,
  );
  console.log(comparisonTable(comparisons));
  console.log(
    `\n${count("ok")} ✓ (within 5% or better), ${count("worse")} ✗ (worse by more than 5%; ` +
      `${figures.filter(withinSpread).length} of them by less than their rounds moved), ` +
      `${count("unjudged")} without a direction, ${count("only-baseline") + count("only-current")} on one side only`,
  );
  for (const c of comparisons.filter((x) => x.confirmed)) {
    const left = c.figures.filter((f) => f.verdict === "worse").length;
    console.log(
      `--confirm: ${c.bench} had ${c.confirmed?.worseBefore} ✗ after ${rounds} round${rounds > 1 ? "s" : ""}; ` +
        `judged again on ${c.confirmed?.rounds} rounds per side: ${left} ✗`,
    );
  }
  process.exit(benchExitCode(comparisons, strict));
}
const rows = comparisons.flatMap((c) => [
  ...c.figures.map((f) => [
    f.bench,
    f.figure,
    formatValue(f.current ?? Number.NaN, f.unit),
    f.unit,
  ]),
  ...c.failures.map((x) => [
    x.bench,
    `FAILED (exit ${x.exitCode}) after ${x.seconds.toFixed(0)} s`,
    "",
    "",
  ]),
]);
console.log(markdownTable(["bench", "figure", "value", "unit"], rows, new Set([2])));
process.exit(benchExitCode(comparisons, false));
