// `bun run bench`: runs every benchmark script in bench/ one after another (each in its own
// process, with --json) and prints one table of their figures, headed by the machine they ran on.
// Each script's own output goes to stderr as it runs. Exit code 1 when a script failed.
//
//   bun bench/all.ts [--quick] [--only fit,soak,...]
// --quick runs smaller problems and shorter load runs (minutes instead of a quarter of an hour).
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_JSON_PREFIX, type BenchFigure } from "./bench-results.ts";

const root = resolve(import.meta.dirname, "..");
const quick = process.argv.includes("--quick");
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? "").split(",")) : null;

interface BenchScript {
  name: string;
  file: string;
  args: string[];
  quickArgs: string[];
}

const scripts: BenchScript[] = [
  { name: "fit", file: "fit.ts", args: [], quickArgs: ["--customers", "100000"] },
  { name: "read", file: "read.ts", args: [], quickArgs: ["200000"] },
  { name: "gbdt", file: "gbdt.ts", args: [], quickArgs: ["--large", "100000"] },
  { name: "train", file: "train-pipeline.ts", args: [], quickArgs: [] },
  { name: "registry", file: "registry.ts", args: [], quickArgs: [] },
  { name: "embedded-store", file: "embedded-store.ts", args: [], quickArgs: [] },
  { name: "forecast", file: "forecast.ts", args: [], quickArgs: ["3"] },
  { name: "forecast-compute", file: "forecast-compute.ts", args: [], quickArgs: ["50"] },
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

interface Outcome {
  script: BenchScript;
  figures: BenchFigure[];
  exitCode: number | null;
  seconds: number;
}

function run(script: BenchScript): Promise<Outcome> {
  const started = performance.now();
  const args = [join(root, "bench", script.file), ...(quick ? script.quickArgs : script.args)];
  args.push("--json");
  process.stderr.write(`\n=== bench ${script.name}: bun ${args.slice(0).join(" ")}\n`);
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const figures: BenchFigure[] = [];
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(BENCH_JSON_PREFIX))
          figures.push(
            ...(JSON.parse(line.slice(BENCH_JSON_PREFIX.length)).figures as BenchFigure[]),
          );
        else process.stderr.write(`${line}\n`);
        nl = pending.indexOf("\n");
      }
    });
    child.on("exit", (code) =>
      done({ script, figures, exitCode: code, seconds: (performance.now() - started) / 1000 }),
    );
  });
}

function formatValue(value: number, unit: string): string {
  const digits =
    unit === "count"
      ? 0
      : unit === "s"
        ? 2
        : unit === "ms"
          ? value < 10
            ? 2
            : 0
          : value < 100
            ? 1
            : 0;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const outcomes: Outcome[] = [];
for (const script of scripts) {
  if (only && !only.has(script.name)) continue;
  outcomes.push(await run(script));
}

const machine = `${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, bun ${Bun.version}, ${new Date().toISOString().slice(0, 10)}${quick ? ", --quick" : ""}`;
const rows: string[][] = [];
for (const o of outcomes) {
  for (const f of o.figures)
    rows.push([o.script.name, f.name, formatValue(f.value, f.unit), f.unit]);
  if (o.exitCode !== 0)
    rows.push([
      o.script.name,
      `FAILED (exit ${o.exitCode}) after ${o.seconds.toFixed(0)} s`,
      "",
      "",
    ]);
}
const head = ["bench", "figure", "value", "unit"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => (i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(" | ")} |`;
console.log(`\nBenchmarks on ${machine}\n`);
console.log(line(head));
console.log(
  `|${widths.map((w, i) => (i === 2 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`,
);
for (const r of rows) console.log(line(r));
process.exit(outcomes.every((o) => o.exitCode === 0) ? 0 : 1);
