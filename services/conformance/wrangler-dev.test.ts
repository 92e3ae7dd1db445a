// The README's Workers commands, run as an operator would: `npx wrangler dev` in
// services/forecast and services/decision (wrangler 4.86.0 under Node, its own workerd), with
// the forecast's R2 bucket and KV pointer in wrangler's local state and the decision's Hyperdrive
// binding on a PostgreSQL test database. Versions are published with `ml publish --target
// cloudflare --local` while the forecast Worker runs: it serves each new version without a
// redeploy, refuses a corrupt one (checksum) and keeps serving the version it had; `ml forget
// --republish` publishes the served bundle again without the forgotten customer, and `ml promote
// --publish` / `ml rollback --publish` reach the Workers in one step.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { binDir, repoRoot } from "../../scripts/workerd/index.ts";
import { exportBundleFiles } from "../forecast/scripts/export-bundle.ts";
import { publishFiles } from "../forecast/scripts/publish-model.ts";
import { demoBundleDir } from "../forecast/src/testing/demo-bundle-dir.ts";
import { promoteNewDemoVersion } from "../forecast/src/testing/demo-registry.ts";
import { forecastItemById } from "../testing/forecast-by-id.ts";

/** Every request is bounded: a hung dev server fails the test instead of stalling the run. */
// Generous: a Worker loading a promoted model from R2 holds its one thread, and on two shared
// cores beside another test file that took over 15 s once in CI (7 s alone).
function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(45_000) });
}

interface Dev {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const scratch = mkdtempSync(join(tmpdir(), "pp-wrangler-dev-"));
const persistTo = join(scratch, "state");
const wranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  NO_COLOR: "1",
  // Keep these dev sessions out of the user's dev registry.
  WRANGLER_REGISTRY_PATH: join(scratch, "registry"),
};

async function wranglerDev(
  service: string,
  args: string[],
  env: Record<string, string>,
): Promise<Dev> {
  const port = await freePort();
  const inspector = await freePort();
  const out: string[] = [];
  const child: ChildProcess = spawn(
    "node",
    [
      join(binDir, "wrangler"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      ...args,
    ],
    {
      cwd: join(repoRoot, "services", service),
      env: { ...process.env, ...wranglerEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (c) => out.push(String(c)));
  child.stderr?.on("data", (c) => out.push(String(c)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${out.join("")}`);
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(250);
  }
  if (Date.now() >= deadline) {
    child.kill("SIGKILL");
    throw new Error(`wrangler dev of ${service} did not answer /health:\n${out.join("")}`);
  }
  return {
    url,
    output: () => out.join(""),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `npx wrangler <args>` in services/forecast, as an operator would run it. */
function wranglerCli(
  args: string[],
  extra: string[],
): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const out: string[] = [];
    const child = spawn("node", [join(binDir, "wrangler"), ...args, ...extra], {
      cwd: join(repoRoot, "services", "forecast"),
      env: { ...process.env, ...wranglerEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (c) => out.push(String(c)));
    child.stderr?.on("data", (c) => out.push(String(c)));
    child.on("close", (code) => done({ code, out: out.join("") }));
  });
}

/** Bun runs `ml` as the README does (`npm run ml -- publish …`, `npm run ml -- forget …`). */
function runMl(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((done, fail) => {
    const out: string[] = [];
    const child = spawn(join(binDir, "bun"), [join(repoRoot, "ml/cli.ts"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...wranglerEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c) => out.push(String(c)));
    child.stderr.on("data", (c) => out.push(String(c)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done(out.join(""));
      else fail(new Error(`ml ${args[0]} failed (${signal ?? code}):\n${out.join("")}`));
    });
  });
}

describe("wrangler dev: forecast from R2 behind a KV pointer, decision through Hyperdrive", () => {
  let db: TestDatabase;
  let registry: ModelRegistry;
  let registryEnv: Record<string, string>;
  let forecast: Dev;
  let decision: Dev;

  beforeAll(async () => {
    db = await openTestDatabase("postgres");
    const artifacts = join(scratch, "artifacts");
    registry = new ModelRegistry(db.handle.db, new FileArtifactStore(artifacts));
    registryEnv = {
      DATABASE_URL: db.options.databaseUrl as string,
      ARTIFACT_STORE_URI: artifacts,
    };
    await ensureDemoModel({ registry, modelName: "purchase", customers: 600, seed: 5 });
    forecast = await wranglerDev(
      "forecast",
      ["--persist-to", persistTo, "--var", "MODEL_POLL_INTERVAL_MS:200"],
      // The build step bundles this (verified) bundle instead of reading a registry.
      { FORECAST_BUNDLE_FROM: await demoBundleDir({ customers: 300, seed: 9 }) },
    );
  }, 180_000);

  afterAll(async () => {
    await forecast?.stop();
    await decision?.stop();
    await db?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }, 30_000);

  const info = async () =>
    (await (await get(`${forecast.url}/model-info`)).json()) as {
      version: number;
      source: string;
      artifact_sha256: string;
    };

  /** Asks until /model-info reports `wanted` (each request may start a reload). */
  async function untilServing(wanted: string, timeoutMs = 45_000) {
    const deadline = Date.now() + timeoutMs;
    let seen = await info();
    while (seen.source !== wanted && Date.now() < deadline) {
      await Bun.sleep(250);
      seen = await info();
    }
    return seen;
  }

  test("no pointer yet: the bundled model serves; /ready is 200, degraded, naming the pointer", async () => {
    const ready = await get(`${forecast.url}/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Array<{ reason?: string }> };
    expect(body.status).toBe("degraded");
    expect(JSON.stringify(body.checks)).toContain('KV MODEL_POINTER has no entry \\"purchase\\"');
    expect((await info()).source).toBe("bundled");
  }, 30_000);

  // Cloudflare (and wrangler dev) hand the Worker "Accept-Encoding: br, gzip" whatever the client
  // sent; read from that header, every answer of 1 KiB or more was gzip, and a client sending no
  // Accept-Encoding (curl without --compressed) got gzip bytes from wrangler dev.
  test("a client that sends no Accept-Encoding gets plain JSON; one asking for gzip gets gzip", async () => {
    const raw = (acceptEncoding?: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        const headers: Record<string, string> = acceptEncoding
          ? { "accept-encoding": acceptEncoding }
          : {};
        const req = httpGet(`${forecast.url}/model-info`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }),
          );
        });
        req.on("error", reject);
      });
    const plain = await raw();
    expect(plain.encoding).toBeUndefined();
    expect((JSON.parse(plain.body.toString("utf8")) as { name: string }).name).toBe("purchase");
    const zipped = await raw("gzip");
    expect(zipped.encoding).toBe("gzip");
    expect(Bun.gunzipSync(new Uint8Array(zipped.body)).length).toBeGreaterThan(1024);
  }, 30_000);

  test("ml publish flips the pointer: v1, then v2, served without a redeploy", async () => {
    const out = await runMl(
      ["publish", "purchase", "--target", "cloudflare", "--local", "--persist-to", persistTo],
      registryEnv,
    );
    expect(out).toContain("published purchase v1");
    const v1 = await untilServing("r2:purchase/1");
    expect(v1.version).toBe(1);

    await promoteNewDemoVersion(registry, {
      name: "purchase",
      customers: 600,
      seed: 7,
      source: "second version",
    });
    await runMl(
      ["publish", "purchase", "--target", "cloudflare", "--local", "--persist-to", persistTo],
      registryEnv,
    );
    const v2 = await untilServing("r2:purchase/2");
    expect(v2.version).toBe(2);
    expect(v2.artifact_sha256).not.toBe(v1.artifact_sha256);
    const metrics = await (await get(`${forecast.url}/metrics`)).text();
    expect(metrics).toContain('model_version_info{name="purchase",version="2"} 1');
  }, 180_000);

  test("ml forget --republish: the Workers' bundle is published again without the customer", async () => {
    const served = await registry.getProductionVersion("purchase");
    if (!served) throw new Error("no production version");
    const [gone, kept] = (await readAllCustomerFeatures(db.handle.db, served.id)).map(
      (r) => r.customerId,
    );
    if (!gone || !kept) throw new Error("the demo version stores no customers");
    expect(await forecastItemById(forecast.url, gone)).toEqual({ status: 200, item: "forecast" });
    const before = await info();
    const args = ["--republish", "cloudflare", "--local", "--persist-to", persistTo];
    const out = await runMl(["forget", gone, ...args], registryEnv);
    expect(out).toContain("republished purchase v2");
    // v1's bundle (published by the test above) held them too, and is not served: deleted.
    expect(out).toMatch(/purchase v1: deleted [1-9]\d* bundle file\(s\) from R2/);
    // The pointer's new bundle_sha256 makes the Worker reload v2, which no longer knows them.
    const deadline = Date.now() + 20_000;
    let item = "forecast";
    while (item !== "unknown_customer" && Date.now() < deadline) {
      await Bun.sleep(250);
      item = (await forecastItemById(forecast.url, gone)).item;
    }
    expect(item).toBe("unknown_customer");
    expect(await forecastItemById(forecast.url, kept)).toEqual({ status: 200, item: "forecast" });
    const after = await info();
    expect(after.source).toBe("r2:purchase/2");
    expect(after.version).toBe(before.version);
    // Forgotten already: nothing held them, so nothing is published.
    const again = await runMl(["forget", gone, ...args], registryEnv);
    expect(again).toContain("0 stored row(s) under 0 model version(s)");
    expect(again).not.toContain("republished");
  }, 180_000);

  test("a corrupt artifact is refused; v2 keeps answering", async () => {
    const files = await exportBundleFiles(registry, db.handle.db, "purchase", 1);
    // Version 1's files published again as "version 3", one ONNX byte flipped.
    const onnx = files.get("gbdt_count.onnx") as Uint8Array;
    const bad = new Uint8Array(onnx); // a copy: Buffer.slice would be a view
    bad[bad.length >> 1] = (bad[bad.length >> 1] as number) ^ 0xff;
    files.set("gbdt_count.onnx", bad);
    await publishFiles(files, "purchase", 3, { local: true, persistTo });
    const deadline = Date.now() + 10_000;
    let failures = 0;
    while (failures === 0 && Date.now() < deadline) {
      await Bun.sleep(250);
      const text = await (await get(`${forecast.url}/metrics`)).text();
      failures = Number(
        /model_load_failures_total\{reason="checksum"\} (\d+)/.exec(text)?.[1] ?? 0,
      );
    }
    expect(failures).toBeGreaterThan(0);
    const served = await info();
    expect(served.source).toBe("r2:purchase/2");
    const res = await get(`${forecast.url}/forecast`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        horizon: { value: 13, unit: "week" },
        customers: [{ id: "s", summary: { frequency: 2, recency: 30, T: 38 } }],
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: { version: number } }).model.version).toBe(2);
  }, 60_000);

  test("ml forget --republish when the pointer names another version: the bundles that held them are deleted", async () => {
    // The pointer names "version 3" (the corrupt publication above), which held nobody.
    const served = await registry.getProductionVersion("purchase");
    if (!served) throw new Error("no production version");
    const [, , customer] = (await readAllCustomerFeatures(db.handle.db, served.id)).map(
      (r) => r.customerId,
    );
    if (!customer) throw new Error("the demo version stores too few customers");
    const args = ["--republish", "cloudflare", "--local", "--persist-to", persistTo];
    const out = await runMl(["forget", customer, ...args], registryEnv);
    expect(out).toContain("under 2 model version(s)");
    expect(out).toContain("purchase: the Workers serve v3: nothing to republish");
    expect(out).not.toContain("republished");
    // Both versions held the customer and neither is served: v2's bundle is deleted from R2, and
    // v1's is gone already (the first erasure deleted it).
    expect(out).toContain("purchase v1: deleted 0 bundle file(s) from R2");
    expect(out).toMatch(/purchase v2: deleted [1-9]\d* bundle file\(s\) from R2/);
  }, 120_000);

  test("ml promote --publish and ml rollback --publish: the Workers serve the new production version", async () => {
    const args = ["--publish", "cloudflare", "--local", "--persist-to", persistTo];
    const promoted = await runMl(["promote", "purchase", "1", ...args], registryEnv);
    expect(promoted).toContain("purchase v1 is production");
    expect(promoted).toContain("published purchase v1");
    expect((await untilServing("r2:purchase/1")).version).toBe(1);
    const rolledBack = await runMl(["rollback", "purchase", ...args], registryEnv);
    expect(rolledBack).toContain("v2 is production");
    expect((await untilServing("r2:purchase/2")).version).toBe(2);
  }, 240_000);

  // The edge probe deleted the KV entry of a Worker serving v2: it went back to the model
  // compiled into its build (v1) within one poll, /ready "ready".
  test("the KV pointer deleted: v2 keeps serving, /ready degraded; published again: ready", async () => {
    const deleted = await wranglerCli(
      ["kv", "key", "delete", "purchase", "--binding", "MODEL_POINTER", "--local"],
      ["--persist-to", persistTo],
    );
    expect(deleted.code).toBe(0);
    const deadline = Date.now() + 15_000;
    let status = "";
    while (status !== "degraded" && Date.now() < deadline) {
      await Bun.sleep(250);
      status = ((await (await get(`${forecast.url}/ready`)).json()) as { status: string }).status;
    }
    expect(status).toBe("degraded");
    await Bun.sleep(1000); // several polls (200 ms) later
    expect((await info()).source).toBe("r2:purchase/2");
    const args = ["--target", "cloudflare", "--local", "--persist-to", persistTo];
    await runMl(["publish", "purchase", ...args], registryEnv);
    const again = Date.now() + 15_000;
    while (status !== "ready" && Date.now() < again) {
      await Bun.sleep(250);
      status = ((await (await get(`${forecast.url}/ready`)).json()) as { status: string }).status;
    }
    expect({ status, source: (await info()).source }).toEqual({
      status: "ready",
      source: "r2:purchase/2",
    });
  }, 120_000);

  test("decision: wrangler dev with the Hyperdrive connection string answers and writes the row", async () => {
    const url = new URL(db.options.databaseUrl as string);
    url.password = "unused"; // wrangler insists on a password; the test server trusts anyway
    decision = await wranglerDev(
      "decision",
      ["--var", "API_KEYS:k", "--var", `FORECAST_URL:${forecast.url}`],
      { WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: url.href },
    );
    const ready = await get(`${decision.url}/ready`);
    expect({ status: ready.status, body: await ready.text() }).toMatchObject({ status: 200 });
    const res = await get(`${decision.url}/decision`, {
      method: "POST",
      headers: { Authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        customer: { id: "s", summary: { frequency: 2, recency: 30, T: 38 } },
        horizon: { value: 13, unit: "week" },
        actions: [{ id: "email", cost: 0.5, uplift: 0.15, margin: 8 }],
      }),
    });
    const body = (await res.json()) as { decision_id: string; model: { version: number } };
    expect(res.status).toBe(200);
    expect(body.model.version).toBe(2);
    const rows = await db.handle.db
      .select({ id: decisionLog.decisionId, model: decisionLog.modelVersion })
      .from(decisionLog)
      .where(eq(decisionLog.decisionId, body.decision_id));
    expect(rows).toEqual([{ id: body.decision_id, model: 2 }]);
  }, 120_000);
});
