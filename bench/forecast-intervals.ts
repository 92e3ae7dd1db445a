// Before/after of issue #17 in one run: the forecast service of a base commit (default edc4b43,
// extracted by baseline-checkout.ts into a temp dir, with its own packages when its lockfile
// differs) against this checkout, as real Bun processes on 127.0.0.1, all serving one freshly
// trained demo model:
//   base    + bundle without blend/uncertainty   (what was served before)
//   current + the same bundle                    (the plain request path: must stay within 5%)
//   current + the bundle with blend/uncertainty  (adds the blend columns)
//   current + that bundle, "intervals": [0.8, 0.95]  (PMFs, parameter draws, spend draws)
// Figures: server time (Server-Timing) of 1,000-customer batches, warm and cold, p50; and
// single-customer requests/s (autocannon).
// Usage: bun bench/forecast-intervals.ts [seconds per run, default 2] [--rounds N, default 5]
//        [--base REF] [--json]
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeBundleDir } from "../services/forecast/scripts/export-bundle.ts";
import { encodeBundle } from "../services/forecast/src/model/exported-bundle.ts";
import { trainDemoBundle } from "../services/forecast/src/testing/demo-bundle.ts";
import { autocannon } from "./autocannon.ts";
import { type BaselineCheckout, baselineCheckout } from "./baseline-checkout.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";
import { type ForecastServer, startForecastServer } from "./forecast-server.ts";

exitOnHelp(import.meta.path);

const argv = process.argv.slice(2);
const baseArg = argv.indexOf("--base");
const baseRef = baseArg >= 0 ? (argv[baseArg + 1] as string) : "edc4b43";
const seconds = Number(
  argv.find(
    (a, i) => /^\d+(\.\d+)?$/.test(a) && !["--base", "--rounds"].includes(argv[i - 1] ?? ""),
  ) ?? 2,
);
const roundsArg = argv.indexOf("--rounds");
const rounds = roundsArg >= 0 ? Number(argv[roundsArg + 1]) : 5;
const root = resolve(import.meta.dirname, "..");
const results = benchResults("forecast-intervals");
const scratch = mkdtempSync(join(tmpdir(), "pp-bench-intervals-"));

/** The base commit's tree, runnable beside ours (baseline-checkout.ts), removed at the end. */
const checkouts: BaselineCheckout[] = [];
function extractBase(ref: string): string {
  const checkout = baselineCheckout(root, ref, []);
  checkouts.push(checkout);
  return checkout.dir;
}

/** Two bundle dirs from one trained demo model: as trained, and without the #17 fields. */
async function bundles(): Promise<{ legacy: string; current: string }> {
  const demo = await trainDemoBundle({ customers: 3000, seed: 7 });
  const current = join(scratch, "bundle-current");
  writeBundleDir(await encodeBundle(demo.raw), current);
  const manifest = JSON.parse(new TextDecoder().decode(demo.raw.files.get("model.json")));
  delete manifest.blend;
  delete manifest.uncertainty;
  if (manifest.recommended === "blend") manifest.recommended = "gbdt";
  const files = new Map(demo.raw.files);
  files.set("model.json", new TextEncoder().encode(JSON.stringify(manifest)));
  const legacy = join(scratch, "bundle-legacy");
  writeBundleDir(await encodeBundle({ ...demo.raw, files }), legacy);
  return { legacy, current };
}

let serversStarted = 0;

/** Each server gets its own data directory under the scratch folder. */
function startServer(checkout: string, bundle: string): Promise<ForecastServer> {
  serversStarted++;
  const env = { GBDT_ENGINE: "typescript", DATA_DIR: join(scratch, `data-${serversStarted}`) };
  return startForecastServer(checkout, bundle, env, 90_000);
}

const headers = { "content-type": "application/json" };
const median = (v: number[]) =>
  [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;

async function serverTime(base: string, body: () => string, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/forecast`, { method: "POST", headers, body: body() });
    if (!res.ok) throw new Error(`${base}: /forecast answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    times.push(Number(res.headers.get("server-timing")?.split("dur=")[1]));
  }
  return median(times);
}

const children: ChildProcess[] = [];
try {
  const { legacy, current } = await bundles();
  const ids: string[] = JSON.parse(
    await Bun.file(join(current, "customers.json")).text(),
  ).ids.slice(0, 1000);
  const request = (h: number, extra: object = {}) =>
    JSON.stringify({
      horizon: { value: h, unit: "week" },
      discount_rate: 0.1,
      customers: ids.map((id) => ({ id })),
      ...extra,
    });
  const single = (extra: object = {}) =>
    JSON.stringify({ horizon: { value: 39, unit: "week" }, customers: [{ id: ids[0] }], ...extra });
  const setups: { label: string; checkout: string; bundle: string; extra: object }[] = [
    {
      label: `base ${baseRef}, bundle without blend`,
      checkout: extractBase(baseRef),
      bundle: legacy,
      extra: {},
    },
    { label: "current, bundle without blend", checkout: root, bundle: legacy, extra: {} },
    { label: "current, bundle with blend", checkout: root, bundle: current, extra: {} },
    {
      label: "current + intervals [0.8, 0.95]",
      checkout: root,
      bundle: current,
      extra: { intervals: [0.8, 0.95] },
    },
  ];
  console.log(
    `forecast before/after (#17): ${rounds} interleaved rounds, ${seconds} s autocannon runs, bun ${Bun.version}, typescript engine, 1,000-customer batches; medians over rounds`,
  );
  const servers: string[] = [];
  for (const setup of setups) {
    const server = await startServer(setup.checkout, setup.bundle);
    children.push(server.child);
    servers.push(server.base);
  }
  // Rounds interleave the setups, so load from other processes on the machine hits all alike.
  const samples = setups.map(
    (): Record<"warm" | "cold" | "rate", number[]> => ({
      warm: [],
      cold: [],
      rate: [],
    }),
  );
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [k, setup] of setups.entries()) {
      const base = servers[k] as string;
      const heavy = "intervals" in setup.extra;
      const sample = samples[k] as (typeof samples)[0];
      sample.warm.push(await serverTime(base, () => request(39, setup.extra), heavy ? 3 : 40));
      sample.cold.push(
        await serverTime(base, () => request(39 + 0.001 * ++n, setup.extra), heavy ? 2 : 10),
      );
      const load = await autocannon({
        url: `${base}/forecast`,
        method: "POST",
        headers,
        body: single(setup.extra),
        connections: 10,
        duration: seconds,
      });
      sample.rate.push(load.requests.average);
    }
  }
  console.log(
    "setup                                      warm p50 ms  cold p50 ms  1-customer req/s",
  );
  const rows: { warm: number; cold: number; rate: number }[] = [];
  for (const [k, setup] of setups.entries()) {
    const sample = samples[k] as (typeof samples)[0];
    const row = { warm: median(sample.warm), cold: median(sample.cold), rate: median(sample.rate) };
    rows.push(row);
    results.add(`forecast (#17) ${setup.label}: 1,000 warm p50`, row.warm, "ms");
    results.add(`forecast (#17) ${setup.label}: 1,000 cold p50`, row.cold, "ms");
    results.add(`forecast (#17) ${setup.label}: 1 customer`, Math.round(row.rate), "req/s");
    console.log(
      `${setup.label.padEnd(42)} ${row.warm.toFixed(2).padStart(11)} ${row.cold.toFixed(2).padStart(12)} ${row.rate.toFixed(0).padStart(17)}`,
    );
  }
  const [before, after] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
  console.log(
    `without intervals, current vs base: warm ${pct(before.warm, after.warm)}, cold ${pct(before.cold, after.cold)}, req/s ${pct(before.rate, after.rate)} (aim: within 5%)`,
  );
} finally {
  for (const child of children) child.kill("SIGTERM");
  rmSync(scratch, { recursive: true, force: true });
  for (const checkout of checkouts) checkout.remove();
}
