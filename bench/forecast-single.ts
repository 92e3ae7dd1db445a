// One /forecast against the service's own /health in the same run: GET /health, POST /forecast for
// one customer by summary and for one by id, each measured in turn for several rounds, with the
// ratio of each forecast's req/s to that round's /health (aim: >= 0.5 for both). A ratio to the
// same server in the same minute is what stays comparable on a shared machine, not raw req/s.
// Load from wrk when installed (apt-get install wrk: C, cheap enough to leave the CPU to the
// server), else autocannon (in this process: slower, so the ratios read lower). For scale it ends
// with the same ratio for a bare Bun.serve (GET vs a POST that only reads its body).
// Usage: bun bench/forecast-single.ts [seconds per run, default 5] [rounds, default 3] [connections, default 50]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { demoBundleDir } from "../services/forecast/src/testing/demo-bundle-dir.ts";
import { freePort } from "../shared/testing/free-port.ts";
import { autocannon } from "./autocannon.ts";
import { benchResults } from "./bench-results.ts";
import { startForecastServer, waitReady } from "./forecast-server.ts";

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const seconds = Number(positional[0] ?? 5);
const rounds = Number(positional[1] ?? 3);
const connections = Number(positional[2] ?? 50);
const results = benchResults("forecast-single");
const root = resolve(import.meta.dirname, "..");
const bundle = await demoBundleDir({ customers: 5000, seed: 42 });
const hasWrk = spawnSync("wrk", ["--version"]).error === undefined;
const scratch = mkdtempSync(join(tmpdir(), "pp-forecast-single-"));

interface Target {
  name: string;
  path: string;
  body?: string;
}

interface Measured {
  /** Requests per second. */
  rate: number;
  /** Requests answered in the run. */
  requests: number;
}

/** Requests per second from wrk (2 threads, `connections` connections) for one target. */
function wrkRate(base: string, target: Target): Measured {
  const args = ["-t2", `-c${connections}`, `-d${seconds}s`];
  if (target.body !== undefined) {
    const script = join(scratch, "post.lua");
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(target.body)}\n`,
    );
    args.push("-s", script);
  }
  const run = spawnSync("wrk", [...args, `${base}${target.path}`], { encoding: "utf8" });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout)?.[1];
  if (rate === undefined) throw new Error(`wrk gave no rate:\n${run.stdout}\n${run.stderr}`);
  const failed = /Non-2xx or 3xx responses: (\d+)/.exec(run.stdout)?.[1];
  if (failed !== undefined) throw new Error(`${target.name}: ${failed} non-2xx answers`);
  const requests = Number(/(\d+) requests in/.exec(run.stdout)?.[1] ?? Number.NaN);
  return { rate: Number(rate), requests };
}

async function autocannonRate(base: string, target: Target): Promise<Measured> {
  const result = await autocannon({
    url: `${base}${target.path}`,
    method: target.body === undefined ? "GET" : "POST",
    headers: target.body === undefined ? {} : { "content-type": "application/json" },
    ...(target.body === undefined ? {} : { body: target.body }),
    connections,
    duration: seconds,
  });
  if (result.non2xx + result.errors > 0) throw new Error(`${target.name}: failed requests`);
  return { rate: result.requests.average, requests: result.requests.total };
}

/**
 * CPU seconds the server's main thread (its event loop, which bounds its req/s) has used: Linux
 * /proc, NaN elsewhere. CPU per request is the steadier figure on a shared machine: req/s also
 * moves with whatever else runs at the time.
 */
function serverCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const fields = stat.split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return Number.NaN;
  }
}

/** One target's req/s and the server main thread's CPU microseconds per request. */
async function measure(base: string, target: Target, pid = child.pid) {
  const cpu = serverCpuSeconds(pid);
  const { rate, requests } = hasWrk ? wrkRate(base, target) : await autocannonRate(base, target);
  return { rate, cpuUs: ((serverCpuSeconds(pid) - cpu) * 1e6) / requests };
}

/**
 * The ceiling of any POST route on this runtime: a bare Bun.serve answering GET with a small JSON
 * and POST by reading the body first, measured like the service (reading a request body has a
 * cost of its own, so a POST cannot match a GET's rate).
 */
async function bareRuntimeRatio(body: string) {
  const bare = spawn(
    process.execPath,
    [
      "-e",
      `Bun.serve({ port: Number(process.env.PORT), hostname: "127.0.0.1", async fetch(req) {
        const n = req.method === "POST" ? (await req.text()).length : 0;
        return new Response(JSON.stringify({ status: "ok", n }), { headers: { "content-type": "application/json" } });
      } });`,
    ],
    { env: { ...process.env, PORT: String(barePort) }, stdio: ["ignore", "ignore", "inherit"] },
  );
  try {
    const url = `http://127.0.0.1:${barePort}`;
    await waitReady(url, "/");
    const get: Target = { name: "bare GET", path: "/" };
    const post: Target = { name: "bare POST", path: "/", body };
    await measure(url, get, bare.pid);
    await measure(url, post, bare.pid);
    const g = await measure(url, get, bare.pid);
    const p = await measure(url, post, bare.pid);
    return { rate: p.rate / g.rate, cpu: g.cpuUs / p.cpuUs };
  } finally {
    bare.kill("SIGTERM");
  }
}

const { base, child } = await startForecastServer(root, bundle);
const barePort = await freePort();

try {
  const ids = (
    JSON.parse(readFileSync(join(bundle, "customers.json"), "utf8")) as { ids: string[] }
  ).ids;
  const horizon = { value: 39, unit: "week" };
  const summary = { frequency: 3, recency: 30.5, T: 52, monetary: 41.25 };
  const health: Target = { name: "GET /health", path: "/health" };
  const bySummary: Target = {
    name: "POST /forecast by summary",
    path: "/forecast",
    body: JSON.stringify({ horizon, discount_rate: 0.1, customers: [{ id: "s-1", summary }] }),
  };
  const byId: Target = {
    name: "POST /forecast by id",
    path: "/forecast",
    body: JSON.stringify({ horizon, discount_rate: 0.1, customers: [{ id: ids[0] }] }),
  };
  const targets = [health, bySummary, byId];
  for (const t of targets) {
    const res = await fetch(`${base}${t.path}`, {
      method: t.body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(t.body === undefined ? {} : { body: t.body }),
    });
    if (!res.ok) throw new Error(`${t.name}: ${res.status} ${await res.text()}`);
  }
  // Warm-up (not reported): the JIT compiles the hot paths, on the server's other threads too.
  for (const t of targets) await measure(base, { ...t, name: `${t.name} (warm-up)` });
  console.log(
    `single forecast vs /health: ${seconds} s per run, ${connections} connections, ${hasWrk ? "wrk" : "autocannon"}, bun ${Bun.version}, server and load generator on one machine`,
  );
  console.log(
    "req/s (the server main thread's CPU µs per request); ratios to /health of req/s, then of CPU\nround    /health (CPU)    by summary (CPU) ratio      by id (CPU) ratio    CPU ratios",
  );
  const ratios: Record<"summary" | "id", number[]> = { summary: [], id: [] };
  const cpuRatios: Record<"summary" | "id", number[]> = { summary: [], id: [] };
  const cell = (m: { rate: number; cpuUs: number }) =>
    `${m.rate.toFixed(0).padStart(7)} (${m.cpuUs.toFixed(0).padStart(3)})`;
  for (let round = 1; round <= rounds; round++) {
    const h = await measure(base, health);
    const s = await measure(base, bySummary);
    const i = await measure(base, byId);
    ratios.summary.push(s.rate / h.rate);
    ratios.id.push(i.rate / h.rate);
    cpuRatios.summary.push(h.cpuUs / s.cpuUs);
    cpuRatios.id.push(h.cpuUs / i.cpuUs);
    console.log(
      `${String(round).padStart(5)}  ${cell(h)}        ${cell(s)} ${(s.rate / h.rate).toFixed(2)}  ${cell(i)} ${(i.rate / h.rate).toFixed(2)}   ${(h.cpuUs / s.cpuUs).toFixed(2)} ${(h.cpuUs / i.cpuUs).toFixed(2)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  results.add(
    "forecast by summary / health req/s, median",
    median(ratios.summary),
    "ratio",
    "higher",
  );
  results.add("forecast by id / health req/s, median", median(ratios.id), "ratio", "higher");
  console.log(
    `median ratio to /health, req/s: by summary ${median(ratios.summary).toFixed(2)}, by id ${median(ratios.id).toFixed(2)} (aim: >= 0.50); of main-thread CPU per request: by summary ${median(cpuRatios.summary).toFixed(2)}, by id ${median(cpuRatios.id).toFixed(2)}`,
  );
  const bare = await bareRuntimeRatio(bySummary.body ?? "");
  console.log(
    `for scale, a bare Bun.serve in the same conditions: POST (reading the same body) / GET ${bare.rate.toFixed(2)} of req/s, ${bare.cpu.toFixed(2)} of main-thread CPU`,
  );
} finally {
  child.kill("SIGTERM");
  rmSync(scratch, { recursive: true, force: true });
}
