// `ml forget` rewriting the production version's metrics.json while forecast services serve it:
// real processes sharing one registry (the embedded store in a DATA_DIR, and PostgreSQL). One
// service already serving, polling every 50 ms, and one started as the first switches land;
// /forecast and /ready are asked continuously. Each forget writes a new revision, switches the
// row and deletes the replaced files: no answer may be other than 200, no service may log a load
// it refused, and both must end serving the revision the row names (its artifact_sha256).
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { registerDemoModel, trainDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase } from "@pp/shared/db/client.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import {
  type Proc,
  runBun,
  startBun,
  stopProc,
  waitForHttp,
} from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";

setDefaultTimeout(600_000);

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "ml/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "pp-forget-while-serving-"));
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) await stopProc(p, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Customers the production version's metrics.json names (not stored: only its files change). */
const NAMED = Array.from({ length: 8 }, (_, i) => `forget-me-${i}`);
const POLL_MS = 50;

type Env = Record<string, string>;
const dbOptions = (env: Env) =>
  env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir: env.DATA_DIR as string };

/** Opens the shared registry for one step and closes it (the embedded store: one host at a time). */
async function withRegistry<T>(env: Env, step: (r: ModelRegistry) => Promise<T>): Promise<T> {
  const handle = await createDatabase(dbOptions(env));
  try {
    const store = new FileArtifactStore(env.ARTIFACT_STORE_URI as string);
    return await step(new ModelRegistry(handle.db, store));
  } finally {
    await handle.close();
  }
}

/**
 * The demo model `ml demo-model` seeds (its default recipe), trained once for the file and
 * registered in each store: two trainings were half the file's time.
 */
let demo: ReturnType<typeof trainDemoModel> | null = null;
async function seedDemoModel(env: Env): Promise<void> {
  demo ??= trainDemoModel();
  const trained = await demo;
  await withRegistry(env, (registry) => registerDemoModel(registry, "purchase", trained));
}

/** The demo model's metrics.json, made to name NAMED (as a read's warnings would). */
async function nameCustomers(env: Env): Promise<string> {
  return withRegistry(env, async (registry) => {
    const version = await registry.getProductionVersion("purchase");
    if (!version) throw new Error("no production version");
    const metrics = JSON.parse(
      new TextDecoder().decode(await registry.loadArtifact(version, "metrics.json")),
    );
    // A data-quality section as `ml train` writes it (the demo's simulated data has none), with
    // the ids in a list of its own: they are not in the demo's report, which stays as it is.
    metrics.data = {
      ...{ rows_read: 10, rows_kept: 10, zero_amount_rows: 0, skipped: {} },
      returns: { rows: 0, amount: 0, mode: "net", matched_orders: 0, unmatched: 0 },
      ...{ customers_in_log: 5, purchase_days: 10, first_date: "1997-01-01" },
      ...{ last_date: "1998-06-30", dominant_ids: NAMED },
    };
    const bytes = new TextEncoder().encode(JSON.stringify(metrics));
    const files = [{ name: "metrics.json", bytes }];
    expect(await registry.rewriteArtifacts(version, async () => files)).not.toBeNull();
    return (await registry.getProductionVersion("purchase"))?.artifactSha256 as string;
  });
}

async function startForecast(env: Env): Promise<{ proc: Proc; base: string }> {
  const port = await freePort();
  const proc = startBun("forecast", join(root, "services/forecast/src/entry/bun.ts"), {
    ...env,
    PORT: String(port),
    MODEL_POLL_INTERVAL_MS: String(POLL_MS),
  });
  procs.push(proc);
  return { proc, base: `http://127.0.0.1:${port}` };
}

const forecastBody = JSON.stringify({
  horizon: { value: 13, unit: "week" },
  customers: [{ id: "a", summary: { frequency: 2, recency: 20, T: 30, monetary: 10 } }],
});

/** Asks /forecast and /ready of `base` until `stop` says so; the answers that were not 200. */
function hammer(base: string, stop: () => boolean) {
  const bad: string[] = [];
  let asked = 0;
  const ask = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${base}${path}`, init).catch((e: Error) => e);
    asked++;
    if (res instanceof Error) bad.push(`${path}: ${res.message}`);
    else if (res.status !== 200) bad.push(`${path}: ${res.status} ${await res.text()}`);
    else await res.arrayBuffer();
  };
  const post = { method: "POST", headers: { "content-type": "application/json" } };
  const done = (async () => {
    while (!stop()) {
      await Promise.all([ask("/forecast", { ...post, body: forecastBody }), ask("/ready")]);
    }
  })();
  return { bad, asked: () => asked, done };
}

const servedSha = async (base: string) =>
  ((await (await fetch(`${base}/model-info`)).json()) as { artifact_sha256: string })
    .artifact_sha256;

/** Log lines that say a load failed or was refused (the race's "artifact not found"). */
const loadFailures = (proc: Proc) =>
  proc.output.filter((l) => /model load (refused|failed)|artifact not found/.test(l));

async function forgetWhileServing(env: Env) {
  mkdirSync(env.DATA_DIR as string, { recursive: true });
  await seedDemoModel(env);
  const named = await nameCustomers(env);
  const first = await startForecast(env);
  await waitForHttp(`${first.base}/ready`, (s) => s === 200, "forecast ready");
  expect(await servedSha(first.base)).toBe(named);

  let stopped = false;
  const load = hammer(first.base, () => stopped);
  let second: { proc: Proc; base: string } | null = null;
  // Two at a time (the later switch of a pair is refused and retried): switches close together.
  for (let i = 0; i < NAMED.length; i += 2) {
    const pair = [NAMED[i], NAMED[i + 1]].map((id) => runBun(cli, ["forget", id as string], env));
    if (i === 0) second = await startForecast(env); // its first load meets the switches
    for (const run of await Promise.all(pair)) {
      expect(run.stderr).toBe("");
      expect(run.stdout).not.toContain("warning:");
      expect(run.status).toBe(0);
    }
  }
  const started = second as { proc: Proc; base: string };
  await waitForHttp(`${started.base}/ready`, (s) => s === 200, "second forecast ready");
  const row = await withRegistry(env, (r) => r.getProductionVersion("purchase"));
  expect(row?.artifactSha256).not.toBe(named);
  for (const service of [first, started]) {
    await waitForHttp(
      `${service.base}/model-info`,
      (s, body) => s === 200 && JSON.parse(body).artifact_sha256 === row?.artifactSha256,
      "serving the rewritten revision",
    );
  }
  stopped = true;
  await load.done;
  console.log(`${load.asked()} requests while ${NAMED.length} customers were forgotten`);
  expect(load.bad).toEqual([]);
  expect(loadFailures(first.proc)).toEqual([]);
  expect(loadFailures(started.proc)).toEqual([]);
}

describe("ml forget while forecast services serve", () => {
  test("embedded store in a shared DATA_DIR", async () => {
    const dataDir = join(dir, "embedded");
    await forgetWhileServing({
      DATA_DIR: dataDir,
      ARTIFACT_STORE_URI: `file://${join(dataDir, "artifacts")}`,
      HOST: "127.0.0.1",
    });
  });

  test("PostgreSQL", async () => {
    const t: TestDatabase = await openTestDatabase("postgres");
    try {
      await forgetWhileServing({
        DATABASE_URL: t.options.databaseUrl as string,
        DATA_DIR: join(dir, "pg"),
        ARTIFACT_STORE_URI: `file://${join(dir, "pg-artifacts")}`,
        HOST: "127.0.0.1",
      });
    } finally {
      await t.cleanup();
    }
  });
});
