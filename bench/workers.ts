// The Workers builds served by workerd (the `wrangler deploy --dry-run` bundles Cloudflare would
// run): upload size of each build (every module, raw and gzipped), cold start (process start to
// the first answered /forecast or /decision: isolate, model load or database connect) and warm
// latency of sequential requests. Decision runs with a Hyperdrive binding to a fresh database on
// the local PostgreSQL (a client per request, the row written before the answer).
// Usage: bun bench/workers.ts [warm requests, default 200] [cold starts, default 3]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  binDir,
  bundleWorker,
  type LocalHyperdrive,
  type WorkerBundle,
  writeWorkerdConfig,
} from "../scripts/workerd/bundle.ts";
import { PolicyCatalog } from "../services/decision/src/policy/policy-catalog.ts";
import { demoBundleDir } from "../services/forecast/src/testing/demo-bundle-dir.ts";
import { freePort } from "../shared/testing/free-port.ts";
import { openTestDatabase } from "../shared/testing/test-databases.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const warmRequests = Number(positional[0] ?? 200);
const coldStarts = Number(positional[1] ?? 3);
const results = benchResults("workers");
function add(name: string, value: number, unit: string) {
  results.add(name, value, unit);
  console.log(`${name.padEnd(78)} ${String(value).padStart(9)} ${unit}`);
}
const scratch = mkdtempSync(join(tmpdir(), "pp-bench-workers-"));
const modelDir = await demoBundleDir({ customers: 5000, seed: 42 });
const ids = (
  JSON.parse(readFileSync(join(modelDir, "customers.json"), "utf8")) as { ids: string[] }
).ids;

function sizes(bundle: WorkerBundle) {
  let raw = 0;
  let gzip = 0;
  for (const m of bundle.modules) {
    const bytes = readFileSync(join(bundle.outDir, m.name));
    raw += statSync(join(bundle.outDir, m.name)).size;
    gzip += gzipSync(bytes).length;
  }
  return { raw, gzip };
}

async function serve(bundle: WorkerBundle, bindings: Record<string, string>, hd?: LocalHyperdrive) {
  const port = await freePort();
  const config = writeWorkerdConfig(bundle, {
    name: `bench-${port}`,
    address: `127.0.0.1:${port}`,
    bindings,
    ...(hd ? { hyperdrive: hd } : {}),
  });
  const started = performance.now();
  const child: ChildProcess = spawn(join(binDir, "workerd"), ["serve", "--experimental", config], {
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(20);
  }
  return { url, started, child };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

async function timed(send: () => Promise<Response>): Promise<number> {
  const t = performance.now();
  const res = await send();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`answered ${res.status}`);
  return performance.now() - t;
}

const forecastBody = (i: number) =>
  JSON.stringify({
    horizon: { value: 13, unit: "week" },
    customers: [{ id: ids[i % ids.length] }],
  });
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

async function measure(
  label: string,
  bundle: WorkerBundle,
  bindings: Record<string, string>,
  path: string,
  body: (i: number) => string,
  headers: Record<string, string> = {},
  hd?: LocalHyperdrive,
) {
  const cold: number[] = [];
  for (let k = 0; k < coldStarts; k++) {
    const s = await serve(bundle, bindings, hd);
    await timed(() => post(`${s.url}${path}`, body(k), headers));
    cold.push(performance.now() - s.started);
    s.child.kill("SIGKILL");
  }
  const s = await serve(bundle, bindings, hd);
  await timed(() => post(`${s.url}${path}`, body(0), headers));
  const warm: number[] = [];
  for (let i = 0; i < warmRequests; i++)
    warm.push(await timed(() => post(`${s.url}${path}`, body(i), headers)));
  s.child.kill("SIGKILL");
  warm.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  add(
    `${label}: cold start to first ${path} answer (median of ${coldStarts})`,
    Number(quantile(cold, 0.5).toFixed(0)),
    "ms",
  );
  add(`${label}: warm POST ${path}, p50`, Number(quantile(warm, 0.5).toFixed(2)), "ms");
  add(`${label}: warm POST ${path}, p99`, Number(quantile(warm, 0.99).toFixed(2)), "ms");
  return s;
}

const db = await openTestDatabase("postgres");
try {
  await new PolicyCatalog(async () => db.handle.db).active();
  const buildEnv = { FORECAST_BUNDLE_FROM: modelDir };
  const builds = {
    forecast: await bundleWorker("forecast", join(scratch, "forecast"), { env: buildEnv }),
    "forecast-lite": await bundleWorker("forecast", join(scratch, "lite"), {
      config: "wrangler.lite.toml",
      env: buildEnv,
    }),
    decision: await bundleWorker("decision", join(scratch, "decision")),
  };
  for (const [name, bundle] of Object.entries(builds)) {
    const { raw, gzip } = sizes(bundle);
    add(`${name} build: upload (all modules)`, Number((raw / 1024).toFixed(0)), "KiB");
    add(`${name} build: upload gzipped`, Number((gzip / 1024).toFixed(0)), "KiB");
  }
  const forecastBindings = {
    MODEL_SOURCE: "bundled",
    MODEL_POLL_INTERVAL_MS: "0",
    LOG_LEVEL: "error",
  };
  await measure(
    "forecast (onnxruntime-web)",
    builds.forecast,
    forecastBindings,
    "/forecast",
    forecastBody,
  );
  await measure(
    "forecast-lite (TypeScript trees)",
    builds["forecast-lite"],
    { ...forecastBindings, GBDT_ENGINE: "typescript" },
    "/forecast",
    forecastBody,
  );
  // Decision calls the lite forecast Worker over loopback HTTP.
  const forecast = await serve(builds["forecast-lite"], {
    ...forecastBindings,
    GBDT_ENGINE: "typescript",
  });
  await timed(() => post(`${forecast.url}/forecast`, forecastBody(0)));
  const decisionBody = (i: number) =>
    JSON.stringify({
      customer: { id: ids[i % ids.length] },
      horizon: { value: 13, unit: "week" },
      actions: [{ id: "email", cost: 0.5, uplift: 0.15, margin: 8 }],
    });
  await measure(
    "decision (Hyperdrive → PostgreSQL, row written first)",
    builds.decision,
    { API_KEYS: "bench", FORECAST_URL: forecast.url, LOG_LEVEL: "error" },
    "/decision",
    decisionBody,
    { Authorization: "Bearer bench" },
    { binding: "HYPERDRIVE", url: db.options.databaseUrl as string },
  );
  forecast.child.kill("SIGKILL");
} finally {
  await db.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}
