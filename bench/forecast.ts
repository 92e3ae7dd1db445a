// Load test of the forecast service on 127.0.0.1 (autocannon, bounded in time): /health, single
// /forecast and /forecast with 1,000 customers; prints requests/s, p50 and p99, then the server
// time (Server-Timing) of 1,000-customer batches: warm (a repeated question, answered from the
// per-model cache of stored customers) and cold (a new horizon every request: every formula runs).
// The service runs as a real Bun process serving the demo bundle (5,000 customers, the demo recipe).
// Usage: bun bench/forecast.ts [seconds per run, default 6] [engine: onnxruntime-web|typescript]
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { demoBundleDir } from "../services/forecast/src/testing/demo-bundle-dir.ts";
import { autocannon } from "./autocannon.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";
import { startForecastServer } from "./forecast-server.ts";

exitOnHelp(import.meta.path);

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const seconds = Number(positional[0] ?? 6);
const engine = positional[1] ?? "onnxruntime-web";
const results = benchResults("forecast");
const root = resolve(import.meta.dirname, "..");
const bundle = await demoBundleDir({ customers: 5000, seed: 42 });

const { base, child } = await startForecastServer(root, bundle, { GBDT_ENGINE: engine });
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

try {
  const ids = (
    JSON.parse(readFileSync(join(bundle, "customers.json"), "utf8")) as { ids: string[] }
  ).ids;
  const horizon = { value: 39, unit: "week" };
  const single = JSON.stringify({ horizon, discount_rate: 0.1, customers: [{ id: ids[0] }] });
  const batchOf = (h: number) =>
    JSON.stringify({
      horizon: { value: h, unit: "week" },
      discount_rate: 0.1,
      customers: ids.slice(0, 1000).map((id) => ({ id })),
    });
  const batch = batchOf(39);
  const headers = { "content-type": "application/json" };
  const runs = [
    { name: "GET /health", path: "/health", body: undefined, connections: 10 },
    { name: "POST /forecast (1 customer)", path: "/forecast", body: single, connections: 10 },
    { name: "POST /forecast (1,000)", path: "/forecast", body: batch, connections: 2 },
  ];
  console.log(
    `forecast service benchmark: ${seconds} s per run, bun ${Bun.version}, engine ${engine}, ${ids.length} stored customers, server + autocannon on one machine`,
  );
  console.log("route                          conns   req/s    p50 ms   p99 ms   non-2xx");
  const rates: number[] = [];
  for (const run of runs) {
    const result = await autocannon({
      url: `${base}${run.path}`,
      method: run.body ? "POST" : "GET",
      headers: run.body ? headers : {},
      ...(run.body ? { body: run.body } : {}),
      connections: run.connections,
      duration: seconds,
    });
    rates.push(result.requests.average);
    results.add(`forecast ${run.name}: req/s`, Math.round(result.requests.average), "req/s");
    results.add(`forecast ${run.name}: p99`, result.latency.p99, "ms");
    console.log(
      `${run.name.padEnd(30)} ${String(run.connections).padStart(5)} ${result.requests.average.toFixed(0).padStart(7)} ${String(result.latency.p50).padStart(9)} ${String(result.latency.p99).padStart(8)} ${String(result.non2xx + result.errors).padStart(9)}`,
    );
  }
  console.log(
    `single /forecast at ${((100 * (rates[1] ?? Number.NaN)) / (rates[0] ?? Number.NaN)).toFixed(0)}% of /health's requests/s (aim: >= 50%)`,
  );

  const serverTimes = async (bodies: () => string, n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${base}/forecast`, { method: "POST", headers, body: bodies() });
      await res.arrayBuffer();
      times.push(Number(res.headers.get("server-timing")?.split("dur=")[1]));
    }
    return times.sort((a, b) => a - b);
  };
  const warm = await serverTimes(() => batch, 200);
  let coldRun = 0;
  const cold = await serverTimes(() => batchOf(39 + 0.01 * ++coldRun), 50);
  for (const [label, times] of [
    ["warm (repeated question)", warm],
    ["cold (new horizon each time)", cold],
  ] as const) {
    results.add(
      `forecast server time, 1,000-customer batch, ${label}: p50`,
      quantile(times, 0.5),
      "ms",
    );
    console.log(
      `server time, 1,000-customer batch, ${label.padEnd(28)} p50 ${quantile(times, 0.5).toFixed(2)} ms  p99 ${quantile(times, 0.99).toFixed(2)} ms (aim: < 5 ms)`,
    );
  }
} finally {
  child.kill("SIGTERM");
}
