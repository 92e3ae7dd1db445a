// Runs one bench script in its own process with --json and collects the figures it prints; the
// script's other output goes to stderr as it runs (bench/all.ts).
import { spawn } from "node:child_process";
import { BENCH_JSON_PREFIX, type BenchFigure } from "./bench-results.ts";
import type { ScriptRun } from "./compare-figures.ts";

export interface ScriptInvocation {
  /** The script's path. */
  file: string;
  args: string[];
  /** The checkout the script runs in (the current one or a baseline's copy). */
  cwd: string;
  env?: Record<string, string>;
  /** Printed in the "=== bench" line, e.g. "fit (baseline ea36ea8, round 1)". */
  label: string;
}

export function runBenchScript(run: ScriptInvocation): Promise<ScriptRun> {
  const started = performance.now();
  const args = [run.file, ...run.args, "--json"];
  process.stderr.write(`\n=== bench ${run.label}: bun ${args.join(" ")}\n`);
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd: run.cwd,
      env: { ...process.env, ...run.env },
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
    child.on("error", (err) => {
      process.stderr.write(`${run.label}: ${String(err)}\n`);
      done({ figures, exitCode: null, seconds: (performance.now() - started) / 1000 });
    });
    child.on("exit", (code) =>
      done({ figures, exitCode: code, seconds: (performance.now() - started) / 1000 }),
    );
  });
}
