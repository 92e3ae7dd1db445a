// Bounded soak of both services as real Bun processes on 127.0.0.1: per route (POST /forecast with
// 20 customers by id, POST /decision), a warm-up, a short autocannon run at full speed to find the
// maximum throughput, then `--seconds` at 80% of it. Passes when the soak had zero errors and
// non-2xx answers and the serving process's RSS (VmRSS) after the soak is within 10% of its RSS
// after the warm-up. Prints a table; exit code 1 on failure.
//
//   bun bench/soak.ts [--seconds 60] [--probe-seconds 5] [--connections 10] [--json]
import {
  API_KEY,
  rssBytes,
  type ServiceProcess,
  startServiceProcesses,
} from "../services/testing/service-processes.ts";
import { autocannon } from "./autocannon.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!(value > 0)) {
    console.error(`${name}: expected a positive number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return value;
}

const seconds = numberArg("--seconds", 60);
const probeSeconds = numberArg("--probe-seconds", 5);
const connections = numberArg("--connections", 10);
const MEMORY_TOLERANCE = 0.1;
const results = benchResults("soak");

export interface SoakRow {
  route: string;
  maxRps: number;
  targetRps: number;
  soakRps: number;
  requests: number;
  errors: number;
  p99Ms: number;
  rssWarmMiB: number;
  rssAfterMiB: number;
  rssChangePct: number;
  pass: boolean;
}

const mib = (bytes: number) => bytes / 2 ** 20;

async function soakRoute(
  route: string,
  server: ServiceProcess,
  request: { url: string; headers: Record<string, string>; body: string },
): Promise<SoakRow> {
  const base = { ...request, method: "POST", connections };
  await autocannon({ ...base, duration: Math.max(1, probeSeconds / 2) }); // warm-up (JIT, pools)
  const probe = await autocannon({ ...base, duration: probeSeconds });
  const maxRps = probe.requests.average;
  const targetRps = Math.max(1, Math.round(maxRps * 0.8));
  const rssWarm = rssBytes(server.pid);
  const soak = await autocannon({ ...base, duration: seconds, overallRate: targetRps });
  await Bun.sleep(500); // let the last responses and timers settle
  const rssAfter = rssBytes(server.pid);
  const errors = soak.errors + soak.non2xx + soak.timeouts;
  const change = (rssAfter - rssWarm) / rssWarm;
  return {
    route,
    maxRps,
    targetRps,
    soakRps: soak.requests.average,
    requests: soak.requests.total,
    errors,
    p99Ms: soak.latency.p99,
    rssWarmMiB: mib(rssWarm),
    rssAfterMiB: mib(rssAfter),
    rssChangePct: change * 100,
    pass: errors === 0 && change <= MEMORY_TOLERANCE && !server.exited(),
  };
}

export function soakTable(rows: SoakRow[]): string {
  const head = [
    "route",
    "max req/s",
    "80% target",
    "soak req/s",
    "requests",
    "errors",
    "p99 ms",
    "RSS warm MiB",
    "RSS after MiB",
    "RSS change",
    "result",
  ];
  const lines = rows.map((r) => [
    r.route,
    r.maxRps.toFixed(0),
    String(r.targetRps),
    r.soakRps.toFixed(0),
    String(r.requests),
    String(r.errors),
    String(r.p99Ms),
    r.rssWarmMiB.toFixed(1),
    r.rssAfterMiB.toFixed(1),
    `${r.rssChangePct >= 0 ? "+" : ""}${r.rssChangePct.toFixed(1)}%`,
    r.pass ? "pass" : "FAIL",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => (l[i] as string).length)),
  );
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ");
  return [fmt(head), ...lines.map(fmt)].join("\n");
}

const services = await startServiceProcesses();
let rows: SoakRow[] = [];
try {
  const ids = services.knownIds;
  const json = { "content-type": "application/json" };
  rows = [
    await soakRoute("POST /forecast (20 ids)", services.forecast, {
      url: `${services.forecast.base}/forecast`,
      headers: json,
      body: JSON.stringify({
        horizon: { value: 13, unit: "week" },
        customers: ids.slice(0, 20).map((id) => ({ id })),
      }),
    }),
    await soakRoute("POST /decision", services.decision, {
      url: `${services.decision.base}/decision`,
      headers: { ...json, authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({
        customer: { id: ids[1] },
        horizon: { value: 13, unit: "week" },
        actions: [
          { id: "email", cost: 0.3, uplift: 0.1, margin: 12 },
          { id: "call", cost: 4, uplift: 0.35, margin: 12 },
        ],
      }),
    }),
  ];
} finally {
  await services.stop();
}

console.log(
  `soak: ${seconds} s per route at 80% of the max found in ${probeSeconds} s, ${connections} connections, bun ${Bun.version}; RSS must stay within ${MEMORY_TOLERANCE * 100}% of after warm-up`,
);
console.log(soakTable(rows));
for (const r of rows) {
  results.add(`${r.route}: max`, Math.round(r.maxRps), "req/s");
  results.add(`${r.route}: soak at 80%, ${seconds} s`, Math.round(r.soakRps), "req/s");
  results.add(`${r.route}: soak errors`, r.errors, "count");
  results.add(`${r.route}: soak p99`, r.p99Ms, "ms");
  results.add(`${r.route}: RSS change over soak`, Math.round(r.rssChangePct * 10) / 10, "%");
}
if (process.argv.includes("--json")) {
  console.log(`SOAK_ROWS ${JSON.stringify(rows)}`);
}
results.flush();
process.exit(rows.every((r) => r.pass) ? 0 : 1);
