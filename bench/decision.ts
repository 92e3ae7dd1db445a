// Load test of the decision service on 127.0.0.1 (autocannon, bounded in time): /health, single
// /decision and /decision/batch with 1,000 customers; prints requests/s, p50 and p99 and what the
// decision log did. The forecast service runs beside it as a real process serving the demo
// bundle (5,000 customers, the demo recipe); the decision log is the embedded database in a temp dir.
// "before" is the same service at BENCH_BASELINE_REF (default: the commit before decisions were
// made durable before their answer, when rows were answered from a memory buffer), run from a
// `git archive` copy beside the current code, so both figures come from one run on one machine,
// measured in alternating rounds (before, after, after, before) so that load which changes
// during the run weighs on both alike.
// Usage: bun bench/decision.ts [seconds per run, default 8]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { demoBundleDir } from "../services/forecast/src/testing/demo-bundle-dir.ts";
import { freePort } from "../shared/testing/free-port.ts";
import { type AutocannonResult, autocannon } from "./autocannon.ts";
import { type BaselineCheckout, baselineCheckout } from "./baseline-checkout.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const seconds = Number(process.argv[2]?.startsWith("--") ? 8 : (process.argv[2] ?? 8));
const results = benchResults("decision");
const root = resolve(import.meta.dirname, "..");
const bun = process.execPath;
const key = "bench-key-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "bench-decision-"));
const baselineDataDir = mkdtempSync(join(tmpdir(), "bench-decision-before-"));
const baselineRef = process.env.BENCH_BASELINE_REF || "edc4b437ed4089202b8d8c7a66143176be9d15db";
/** What "before" is, for the printed lines (BENCH_BASELINE_REF may name any commit). */
const beforeIs = process.env.BENCH_BASELINE_REF
  ? `${baselineRef.slice(0, 10)}`
  : `${baselineRef.slice(0, 10)} (answered from a memory buffer)`;
const children: ChildProcess[] = [];

async function start(
  service: string,
  env: Record<string, string>,
  readyPath: string,
  codeRoot = root,
) {
  const port = await freePort();
  const child = spawn(bun, [join(codeRoot, "services", service, "src/entry/bun.ts")], {
    cwd: codeRoot,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}${readyPath}`)).ok) return base;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service} did not become ready`);
}

function stopAll() {
  for (const c of children) c.kill("SIGTERM");
}
process.on("exit", stopAll);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

/** Waits (at most 30 s) until `base` has no decision log rows waiting: the buffered "before"
 * writes its rows after answering, and that work must not run into the next round. */
async function drained(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${base}/metrics`)).text();
    if (Number(text.match(/^decision_log_buffered_rows (\S+)$/m)?.[1] ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rounds of each measured version in turns (A B B A A B ...), so that a change in the machine's
 * load during the run weighs on both alike: req/s over all rounds, p50/p99 the mean of rounds. */
const ROUNDS = 4;
async function interleaved(
  versions: Array<[string, string]>,
  totalSeconds: number,
  measure: (base: string, seconds: number) => Promise<AutocannonResult>,
): Promise<Map<string, Figures>> {
  const rounds = versions.length > 1 ? ROUNDS : 1;
  const seconds = totalSeconds / rounds;
  const all = new Map<string, AutocannonResult[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? versions : [...versions].reverse();
    for (const [label, base] of order) {
      all.set(label, [...(all.get(label) ?? []), await measure(base, seconds)]);
      await drained(base);
    }
  }
  const figures = new Map<string, Figures>();
  for (const [label, results] of all) {
    const mean = (f: (r: AutocannonResult) => number) =>
      Math.round(results.reduce((sum, r) => sum + f(r), 0) / results.length);
    figures.set(label, {
      rps: results.reduce((sum, r) => sum + r.requests.total, 0) / (seconds * results.length),
      p50: mean((r) => r.latency.p50),
      p99: mean((r) => r.latency.p99),
      failed: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
    });
  }
  return figures;
}

let baseline: BaselineCheckout | undefined;
try {
  const bundle = await demoBundleDir({ customers: 5000, seed: 42 });
  const forecast = await start("forecast", { MODEL_SOURCE: `bundle:${bundle}` }, "/ready");
  const decisionEnv = { FORECAST_URL: forecast, API_KEYS: key };
  const after = await start("decision", { ...decisionEnv, DECISION_DATA_DIR: dataDir }, "/health");
  let before: string | undefined;
  try {
    baseline = baselineCheckout(root, baselineRef, [
      "package.json",
      "shared",
      "ml",
      "services/decision",
    ]);
    before = await start(
      "decision",
      { ...decisionEnv, DECISION_DATA_DIR: baselineDataDir },
      "/health",
      baseline.dir,
    );
  } catch (err) {
    console.error(
      `no "before" figures: baseline ${baselineRef} unavailable (${String(err).slice(0, 200)})`,
    );
  }
  const ids = (
    JSON.parse(readFileSync(join(bundle, "customers.json"), "utf8")) as { ids: string[] }
  ).ids;
  const headers = { Authorization: `Bearer ${key}`, "content-type": "application/json" };
  const actions = [
    { id: "email", cost: 0.3, uplift: 0.1, margin: 12 },
    { id: "sms", cost: 0.8, uplift: 0.18, margin: 12 },
    { id: "call", cost: 4, uplift: 0.35, margin: 12 },
  ];
  const horizon = { value: 26, unit: "week" };
  const single = JSON.stringify({ customer: { id: ids[0] }, horizon, actions });
  const batch = JSON.stringify({
    customers: ids.slice(0, 1000).map((id) => ({ id })),
    horizon,
    actions,
    budget: 200,
  });
  for (const base of [after, before]) {
    if (!base) continue;
    // Warm-up: opens the decision database (PGlite, migrations, default policy).
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/decision`, { method: "POST", headers, body: single });
      if (res.ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const batchCheck = await fetch(`${base}/decision/batch`, {
      method: "POST",
      headers,
      body: batch,
    });
    if (!batchCheck.ok)
      throw new Error(`batch answered ${batchCheck.status}: ${await batchCheck.text()}`);
  }

  const runs = [
    { name: "GET /health", path: "/health", method: "GET" as const, connections: 10 },
    {
      name: "POST /decision",
      path: "/decision",
      method: "POST" as const,
      body: single,
      connections: 10,
    },
    {
      name: "POST /decision/batch (1,000)",
      path: "/decision/batch",
      method: "POST" as const,
      body: batch,
      connections: 2,
    },
  ];
  console.log(
    `decision service benchmark: ${seconds} s per run, bun ${Bun.version}, 3 processes + autocannon on one machine`,
  );
  console.log(`before = ${beforeIs}, after = this checkout (answered after the commit)`);
  console.log("route                          conns  version   req/s    p50 ms   p99 ms   non-2xx");
  const measured = new Map<string, number>();
  /** Rows and group commits of the "after" decision log so far (the baseline counts no commits). */
  const commitStats = async (base: string) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1]);
    return {
      rows: value("decision_log_rows_written_total"),
      commits: value("decision_log_commits_total"),
    };
  };
  let singleGroups = "";
  for (const run of runs) {
    const versions: Array<[string, string | undefined]> =
      run.path === "/health"
        ? [["after", after]]
        : [
            ["before", before],
            ["after", after],
          ];
    const live = versions.filter((v): v is [string, string] => v[1] !== undefined);
    const statsBefore = await commitStats(after);
    const figures = await interleaved(live, seconds, (base, duration) =>
      autocannon({
        url: `${base}${run.path}`,
        method: run.method,
        headers: run.method === "POST" ? headers : {},
        ...(run.body ? { body: run.body } : {}),
        connections: run.connections,
        duration,
      }),
    );
    if (run.path === "/decision") {
      const now = await commitStats(after);
      const rows = now.rows - statsBefore.rows;
      const commits = now.commits - statsBefore.commits;
      singleGroups = `single /decision after: ${rows} rows in ${commits} group commits (${(rows / commits).toFixed(1)} rows per commit)`;
    }
    for (const [label] of live) {
      const f = figures.get(label) as Figures;
      const suffix = label === "before" ? " (before)" : "";
      measured.set(`${run.name} ${label}`, f.rps);
      results.add(`decision ${run.name}${suffix}: req/s`, Math.round(f.rps), "req/s");
      results.add(`decision ${run.name}${suffix}: p99`, f.p99, "ms");
      console.log(
        `${run.name.padEnd(30)} ${String(run.connections).padStart(5)}  ${label.padEnd(7)} ${f.rps.toFixed(0).padStart(7)} ${String(f.p50).padStart(9)} ${String(f.p99).padStart(8)} ${String(f.failed).padStart(9)}`,
      );
    }
  }
  const ratio =
    (measured.get("POST /decision after") ?? 0) / (measured.get("POST /decision before") ?? 0);
  if (Number.isFinite(ratio) && ratio > 0) {
    console.log(
      `single /decision after/before: ${(100 * ratio).toFixed(0)}% of the ${process.env.BENCH_BASELINE_REF ? "before" : "buffered"} throughput`,
    );
    results.add(
      "decision POST /decision: after/before",
      Math.round(1000 * ratio) / 1000,
      "ratio",
      "higher",
    );
  }
  if (singleGroups) console.log(singleGroups);
  const metrics = await (await fetch(`${after}/metrics`)).text();
  const pick = (name: string) => metrics.match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1] ?? "?";
  console.log(
    `decision log (after): ${pick("decision_log_rows_written_total")} rows committed, ` +
      `${pick("decision_log_buffered_rows")} waiting, ${pick("decision_log_rejected_total")} refused, ` +
      `${pick("decision_log_dead_letter_rows_total")} dead-lettered`,
  );
} finally {
  stopAll();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(baselineDataDir, { recursive: true, force: true });
  baseline?.remove();
}
