// Benchmark: `ml score` on 1,000,000 simulated customers stored in a PostgreSQL registry, to a
// Parquet file and to a PostgreSQL table, in one process and as two shards in parallel (one per
// core); customers per second and each process's peak memory (VmHWM). The model is trained on
// 20,000 simulated customers (as `ml train` does: evaluation, then production step); the version
// registered for the bench stores all N customers' summaries and features at the data's last date.
// "before" runs the same child from a baseline commit's code (BENCH_BASELINE_REF, default the
// merge before the typed Parquet writer) beside "after" (this checkout), alternately, in one run;
// each line also gives the scoring process's CPU seconds (user + system, all its threads), which
// the machine's other load does not inflate the way it inflates wall time.
//
//   bun run bench:score [--customers N] [--targets parquet,postgres] [--shards 2|0] [--no-baseline]

import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isoDateToDay } from "../ml/data/transaction-log.ts";
import { buildFeatureMatrix } from "../ml/features/feature-vector.ts";
import { summarize } from "../ml/features/summaries.ts";
import { buildBundle } from "../ml/pipelines/build-bundle.ts";
import { lastDateOf, servedModels, trainProduction } from "../ml/pipelines/production-step.ts";
import { customerFeatureRows, trainModels } from "../ml/pipelines/train-models.ts";
import { simulateBgNbd } from "../ml/sim/bgnbd-simulator.ts";
import { FileArtifactStore } from "../shared/artifacts/file-artifact-store.ts";
import { ModelRegistry } from "../shared/registry/model-registry.ts";
import { openTestDatabase } from "../shared/testing/test-databases.ts";
import { type BaselineCheckout, baselineCheckout } from "./baseline-checkout.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** Child mode: one `ml score` run; prints {rows, seconds, peakMiB} as JSON. */
async function child(): Promise<void> {
  // --code DIR: score with another checkout's ml score (a baseline), measured by this child.
  const code = arg("--code");
  const { runScore, parseShard } = (await import(
    code ? join(code, "ml", "scoring", "run-score.ts") : "../ml/scoring/run-score.ts"
  )) as typeof import("../ml/scoring/run-score.ts");
  const shard = arg("--shard");
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await runScore({
    model: "bench",
    horizon: "52w",
    discountRate: 0.1,
    ...(arg("--out") ? { out: arg("--out") as string } : {}),
    ...(arg("--to") ? { to: arg("--to") as string, table: "bench_scores" } : {}),
    ...(shard ? { shard: parseShard(shard) } : {}),
    print: (line) => process.stderr.write(`  ${line}\n`),
    progress: false,
  });
  const status = await Bun.file("/proc/self/status").text();
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      rows: result.rows,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakMiB: hwm,
    }),
  );
}

interface ChildResult {
  rows: number;
  seconds: number;
  /** Absent from baselines older than this field. */
  cpuSeconds?: number;
  peakMiB: number;
}

/** One child run of the code at `codeRoot` (this checkout or a baseline's copy). */
function runChild(
  env: Record<string, string>,
  extra: string[],
  codeRoot = root,
): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const code = codeRoot === root ? [] : ["--code", codeRoot];
    const proc = spawn(
      process.execPath,
      [join(root, "bench", "score.ts"), "--child", ...code, ...extra],
      {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.on("close", (code) => {
      if (code !== 0) return fail(new Error(`score child exited with ${code}`));
      done(JSON.parse(out.trim().split("\n").pop() as string) as ChildResult);
    });
  });
}

async function setUp(customers: number, storeDir: string) {
  const t = await openTestDatabase("postgres");
  const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
  const sim = { start: "1997-01-01", timeUnit: "week" as const };
  const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  let started = performance.now();
  const small = simulateBgNbd(params, { ...sim, customers: 20_000, seed: 1 });
  const window = {
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week" as const,
  };
  const summaries = summarize(small.log, window);
  const trained = await trainModels(
    { log: small.log, summaries, source: "bench", format: "simulated" },
    // Three blend members: the baseline's code ("before") predates the fourth (rate if alive) and
    // refuses a bundle that has it, and both sides must score the same bundle.
    { fast: true, folds: 3, rateIfAlive: false },
  );
  const production = await trainProduction(small.log, trained, { fast: true });
  const served = servedModels(trained, production);
  const bundle = buildBundle(served, { name: "bench", trainedAt: new Date(), reportHtml: "" });
  console.error(
    `model trained on 20,000 customers in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  started = performance.now();
  const big = simulateBgNbd(params, { ...sim, customers, seed: 2 });
  const asOf = lastDateOf(big.log);
  const all = summarize(big.log, { calibrationEnd: asOf, timeUnit: "week" });
  const features = buildFeatureMatrix(big.log, all, {
    cutoffDay: isoDateToDay(asOf),
    timeUnit: "week",
    horizon: served.horizon,
    btyd: { bgnbd: served.bgnbd.params, paretoNbd: served.paretoNbd.params },
  });
  await registry.registerVersion("bench", {
    artifacts: [...bundle].map(([name, bytes]) => ({ name, bytes })),
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: asOf },
    timeUnit: "week",
    trainedAt: new Date(),
    customerFeatures: customerFeatureRows(all, features),
    promote: true,
  });
  console.error(
    `${all.n.toLocaleString("en-US")} customers simulated and registered in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { t, n: all.n };
}

async function main(): Promise<void> {
  const customers = Number(arg("--customers") ?? 1_000_000);
  const targets = (arg("--targets") ?? "parquet,postgres").split(",") as ("parquet" | "postgres")[];
  const shardRuns = Number(arg("--shards") ?? 2) > 0;
  const baselineRef = process.env.BENCH_BASELINE_REF || "7222498";
  const results = benchResults("score");
  const dir = await mkdtemp(join(tmpdir(), "pp-bench-score-"));
  let baseline: BaselineCheckout | null = null;
  if (!args.includes("--no-baseline")) {
    try {
      baseline = baselineCheckout(root, baselineRef, ["bench", "ml", "shared", "services"]);
    } catch (error) {
      console.error(
        `no "before" figures: baseline ${baselineRef} unavailable (${String(error).slice(0, 200)})`,
      );
    }
  }
  const { t, n } = await setUp(customers, join(dir, "artifacts"));
  const url = t.options.databaseUrl as string;
  const env = { DATABASE_URL: url, ARTIFACT_STORE_URI: join(dir, "artifacts") };
  const label = n.toLocaleString("en-US");
  const report = (what: string, rows: number, seconds: number, runs: ChildResult[]) => {
    const rate = rows / seconds;
    const cpu = runs.every((r) => r.cpuSeconds !== undefined)
      ? runs.reduce((s, r) => s + (r.cpuSeconds as number), 0)
      : null;
    const peaks = runs.map((r) => r.peakMiB);
    console.error(
      `${what}: ${rows.toLocaleString("en-US")} customers in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString("en-US")}/s` +
        `${cpu === null ? "" : `, CPU ${cpu.toFixed(1)} s = ${Math.round(rows / cpu).toLocaleString("en-US")} per CPU-second`}` +
        `, peak RSS ${peaks.map((p) => p.toFixed(0)).join(" + ")} MiB`,
    );
    results.add(`ml score ${label} customers → ${what}`, Math.round(rate), "customers/s");
    if (cpu !== null) {
      results.add(
        `ml score ${label} customers → ${what}: per CPU-second`,
        Math.round(rows / cpu),
        "customers/CPU-s",
      );
    }
    results.add(
      `ml score ${label} customers → ${what}: peak RSS per process`,
      Math.round(Math.max(...peaks)),
      "MiB",
    );
  };
  const codes: [string, string][] = [
    ...(baseline
      ? ([[`before (${baseline.commit.slice(0, 10)})`, baseline.dir]] as [string, string][])
      : []),
    ["after", root],
  ];
  try {
    for (const target of targets) {
      const dest = (suffix: string) =>
        target === "parquet" ? ["--out", join(dir, `scores${suffix}.parquet`)] : ["--to", url];
      for (const [which, codeRoot] of codes) {
        const one = await runChild(env, dest(""), codeRoot);
        if (one.rows !== n) throw new Error(`${target}: scored ${one.rows} of ${n}`);
        report(`${target}, 1 process, ${which}`, one.rows, one.seconds, [one]);
      }
      if (target === "parquet") {
        console.error(
          `parquet file: ${((await stat(join(dir, "scores.parquet"))).size / 2 ** 20).toFixed(1)} MiB`,
        );
      }
      if (!shardRuns) continue;
      for (const [which, codeRoot] of codes) {
        const started = performance.now();
        const shards = await Promise.all(
          [0, 1].map((s) => runChild(env, [...dest(`-${s}`), "--shard", `${s}/2`], codeRoot)),
        );
        const wall = (performance.now() - started) / 1000;
        const rows = shards.reduce((s, r) => s + r.rows, 0);
        if (rows !== n) throw new Error(`${target}: the shards scored ${rows} of ${n}`);
        report(`${target}, 2 shards in parallel, ${which}`, rows, wall, shards);
      }
    }
  } finally {
    await t.cleanup();
    await rm(dir, { recursive: true, force: true });
    baseline?.remove();
  }
}

if (args.includes("--child")) await child();
else await main();
