// In-process timing of the forecast computation for 1,000 customers, uncached (a new horizon per
// run, so no stored answer applies): stored customers by id, and 1,000 distinct summaries (no
// shared T or (x, T) to reuse). Prints p50/p99 of forecastBatch and of the whole POST /forecast
// handling (Server-Timing), to separate the formulas from HTTP and JSON; and for 1,000 customers
// given by 20 transactions each, the request's wall time in process (body parsing and validation
// included: they come before Server-Timing's start).
// Usage: bun bench/forecast-compute.ts [runs, default 200]
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { forecastBatch } from "../ml/forecasting/forecast-batch.ts";
import { createApp } from "../services/forecast/src/app.ts";
import { parseConfig } from "../services/forecast/src/config.ts";
import { buildForecastDeps } from "../services/forecast/src/deps.ts";
import { resolveCustomers } from "../services/forecast/src/forecasting/customer-batch.ts";
import { bundleModelSource } from "../services/forecast/src/model/model-sources.ts";
import { ortEngine } from "../services/forecast/src/model/ort-engine.ts";
import { demoBundleDir } from "../services/forecast/src/testing/demo-bundle-dir.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const runs = Number(positional[0] ?? 200);
const results = benchResults("forecast-compute");
const dir = await demoBundleDir({ customers: 5000, seed: 42 });
const source = bundleModelSource({
  read: async (name) => new Uint8Array(await readFile(join(dir, name))),
  description: `bundle:${dir}`,
  engine: ortEngine,
});
const deps = buildForecastDeps(parseConfig({ LOG_LEVEL: "warn", MODEL_POLL_INTERVAL_MS: "0" }), {
  runtime: "bun",
  modelSource: source,
});
await deps.model.refresh();
const model = deps.model.current;
if (!model) throw new Error("the bundle did not load");
const app = createApp(deps);

const stored = model.customers.columns.ids.slice(0, 1000).map((id) => ({ id }));
// Distinct (x, t_x, T): every T differs, so nothing is shared between customers.
const summaries = Array.from({ length: 1000 }, (_, i) => {
  const x = i % 13;
  const T = 20 + i * 0.0173;
  return { id: `s${i}`, summary: { frequency: x, recency: x ? T * 0.6 : 0, T, monetary: 25 } };
});
const quantile = (v: number[], q: number) =>
  [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))] ?? Number.NaN;

let horizon = 39;
console.log(`forecast computation, 1,000 customers, uncached, ${runs} runs, bun ${Bun.version}`);
for (const [label, customers] of [
  ["stored customers by id", stored],
  ["1,000 distinct summaries", summaries],
] as const) {
  const compute: number[] = [];
  const server: number[] = [];
  for (let r = 0; r < runs; r++) {
    horizon += 0.001;
    const started = performance.now();
    await forecastBatch(model, resolveCustomers(model, customers, undefined), horizon, 0.1);
    compute.push(performance.now() - started);
    horizon += 0.001;
    const res = await app.request("/forecast", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        horizon: { value: horizon, unit: "week" },
        discount_rate: 0.1,
        customers,
      }),
    });
    await res.arrayBuffer();
    server.push(Number(res.headers.get("server-timing")?.split("dur=")[1]));
  }
  results.add(
    `forecast computation, 1,000 customers (${label}), uncached, p50`,
    quantile(compute, 0.5),
    "ms",
  );
  results.add(
    `POST /forecast server time, 1,000 customers (${label}), uncached, p50`,
    quantile(server, 0.5),
    "ms",
  );
  console.log(
    `${label.padEnd(26)} forecastBatch p50 ${quantile(compute, 0.5).toFixed(2)} ms p99 ${quantile(compute, 0.99).toFixed(2)} ms | Server-Timing p50 ${quantile(server, 0.5).toFixed(2)} ms p99 ${quantile(server, 0.99).toFixed(2)} ms (aim: < 5 ms)`,
  );
}
// 1,000 customers by 20 transactions each: 20,000 transactions to validate and summarise.
const byTransactions = Array.from({ length: 1000 }, (_, i) => ({
  id: `t${i}`,
  transactions: Array.from({ length: 20 }, (_, k) => ({
    at: `1997-${String(1 + ((i + k) % 12)).padStart(2, "0")}-${String(1 + ((i * 7 + k) % 28)).padStart(2, "0")}T10:00:00Z`,
    amount: 5 + ((i + k) % 40),
  })),
}));
const wall: number[] = [];
for (let r = 0; r < runs; r++) {
  horizon += 0.001;
  const body = JSON.stringify({
    horizon: { value: horizon, unit: "week" },
    as_of: "1998-01-01",
    customers: byTransactions,
  });
  const started = performance.now();
  const res = await app.request("/forecast", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`/forecast by transactions answered ${res.status}`);
  wall.push(performance.now() - started);
}
results.add(
  "POST /forecast wall time in process, 1,000 customers by 20 transactions each, p50",
  quantile(wall, 0.5),
  "ms",
);
console.log(
  `${"by 20 transactions each".padEnd(26)} request wall time p50 ${quantile(wall, 0.5).toFixed(2)} ms p99 ${quantile(wall, 0.99).toFixed(2)} ms (validation and summaries included)`,
);
process.exit(0);
