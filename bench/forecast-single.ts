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
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";
import { startForecastServer, waitReady } from "./forecast-server.ts";

exitOnHelp(import.meta.path);

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
  /** Bodies sent in random order instead of `body` (wrk; autocannon sends them in turn). */
  bodies?: string[];
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
  if (target.body !== undefined || target.bodies !== undefined) {
    const script = join(scratch, "post.lua");
    writeFileSync(script, wrkScript(target));
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

/** A wrk script POSTing the target's body, or one of its bodies at random per request. */
function wrkScript(target: Target): string {
  const head = `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n`;
  if (target.bodies === undefined) return `${head}wrk.body = ${JSON.stringify(target.body)}\n`;
  const list = target.bodies.map((b) => JSON.stringify(b)).join(",\n");
  return `${head}local bodies = {\n${list}\n}\nrequest = function()\n  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])\nend\n`;
}

async function autocannonRate(base: string, target: Target): Promise<Measured> {
  const post = target.body !== undefined || target.bodies !== undefined;
  const result = await autocannon({
    url: `${base}${target.path}`,
    method: post ? "POST" : "GET",
    headers: post ? { "content-type": "application/json" } : {},
    ...(target.body === undefined ? {} : { body: target.body }),
    ...(target.bodies === undefined
      ? {}
      : { requests: target.bodies.map((body) => ({ method: "POST", body })) }),
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

/** Summaries of distinct (x, T) over the demo's range, deterministic. */
function variedSummaries(count: number) {
  return Array.from({ length: count }, (_, k) => {
    const frequency = k % 13;
    const T = 20 + ((k * 37) % 330) / 10;
    return {
      frequency,
      recency: frequency === 0 ? 0 : (T * ((k % 9) + 1)) / 10,
      T,
      monetary: 10 + (k % 90),
    };
  });
}

/** One request of the target (each body of a varied one) answers 200, or the bench stops. */
async function checkAnswers(base: string, t: Target): Promise<void> {
  for (const body of t.bodies ?? [t.body]) {
    const res = await fetch(`${base}${t.path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    if (!res.ok || text.includes("invalid_customer"))
      throw new Error(`${t.name}: ${res.status} ${text}`);
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
  // The same summary every time reuses the last request's grid terms (btyd-columns.ts), so the
  // service is also measured on 1,000 summaries of distinct (x, T), sent in random order.
  const varied: Target = {
    name: "POST /forecast by varied summaries",
    path: "/forecast",
    bodies: variedSummaries(1000).map((s, k) =>
      JSON.stringify({ horizon, discount_rate: 0.1, customers: [{ id: `v-${k}`, summary: s }] }),
    ),
  };
  const targets = [health, bySummary, byId, varied];
  for (const t of targets) await checkAnswers(base, t);
  // Warm-up (not reported): the JIT compiles the hot paths, on the server's other threads too.
  for (const t of targets) await measure(base, { ...t, name: `${t.name} (warm-up)` });
  console.log(
    `single forecast vs /health: ${seconds} s per run, ${connections} connections, ${hasWrk ? "wrk" : "autocannon"}, bun ${Bun.version}, server and load generator on one machine`,
  );
  console.log(
    "req/s (the server main thread's CPU µs per request) and ratio to /health's req/s\nround    /health (CPU)    by summary (CPU) ratio      by id (CPU) ratio    varied (CPU) ratio   CPU ratios",
  );
  const forecasts = { summary: bySummary, id: byId, varied } as const;
  type Kind = keyof typeof forecasts;
  const kinds = Object.keys(forecasts) as Kind[];
  const ratios: Record<Kind, number[]> = { summary: [], id: [], varied: [] };
  const cpuRatios: Record<Kind, number[]> = { summary: [], id: [], varied: [] };
  const cell = (m: { rate: number; cpuUs: number }) =>
    `${m.rate.toFixed(0).padStart(7)} (${m.cpuUs.toFixed(0).padStart(3)})`;
  for (let round = 1; round <= rounds; round++) {
    const h = await measure(base, health);
    let line = `${String(round).padStart(5)}  ${cell(h)}     `;
    let cpuLine = "";
    for (const kind of kinds) {
      const m = await measure(base, forecasts[kind]);
      ratios[kind].push(m.rate / h.rate);
      cpuRatios[kind].push(h.cpuUs / m.cpuUs);
      line += `   ${cell(m)} ${(m.rate / h.rate).toFixed(2)}`;
      cpuLine += ` ${(h.cpuUs / m.cpuUs).toFixed(2)}`;
    }
    console.log(`${line}  ${cpuLine}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  results.add(
    "forecast by summary / health req/s, median",
    median(ratios.summary),
    "ratio",
    "higher",
  );
  results.add("forecast by id / health req/s, median", median(ratios.id), "ratio", "higher");
  results.add(
    "forecast by varied summaries / health req/s, median",
    median(ratios.varied),
    "ratio",
    "higher",
  );
  const medians = (r: Record<Kind, number[]>) =>
    kinds.map((k) => `${k} ${median(r[k]).toFixed(2)}`).join(", ");
  console.log(
    `median ratio to /health, req/s: ${medians(ratios)} (aim: >= 0.50); of main-thread CPU per request: ${medians(cpuRatios)}`,
  );
  const bare = await bareRuntimeRatio(bySummary.body ?? "");
  console.log(
    `for scale, a bare Bun.serve in the same conditions: POST (reading the same body) / GET ${bare.rate.toFixed(2)} of req/s, ${bare.cpu.toFixed(2)} of main-thread CPU`,
  );
} finally {
  child.kill("SIGTERM");
  rmSync(scratch, { recursive: true, force: true });
}
