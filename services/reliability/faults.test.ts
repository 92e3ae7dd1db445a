// Fault tests on a throwaway PostgreSQL cluster (never the shared one), both services served over
// real HTTP (Bun.serve) under continuous load, the forecast model polled from the registry:
//  - PostgreSQL stopped mid-load: forecast keeps answering from its loaded model and /ready says
//    "degraded"; decisions are refused with 503 while their rows cannot be committed (never an
//    unrecorded 200), flow again once PostgreSQL is back, and every 200 is in the log, once.
//  - a version promoted during load is picked up by the poller with zero failed requests;
//  - a promoted version with a corrupt artifact is refused and the old model keeps serving.
// (kill -9 during a registration: shared/registry/registration-crash.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_FILES } from "@pp/ml/bundle/model-bundle.ts";
import { ensureDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import {
  buildDecisionDeps,
  closeWithin,
  createApp as createDecisionApp,
  type DecisionDeps,
  lazyDatabase,
  openDecisionDatabase,
  parseConfig as parseDecisionConfig,
} from "../decision/src/index.ts";
import {
  buildForecastDeps,
  createApp as createForecastApp,
  type ForecastDeps,
  ortEngine,
  parseConfig as parseForecastConfig,
  registryModelSource,
} from "../forecast/src/index.ts";

const bin = postgresBinDirOrWarn("the reliability fault tests");
const POLL_MS = 100;
const quiet = createLogger({ sink: () => {} });

/** Calls `send` from `concurrency` loops until stopped; tallies statuses and keeps 200 bodies. */
function load(concurrency: number, send: () => Promise<Response>) {
  let running = true;
  const statuses: number[] = [];
  const bodies: unknown[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const res = await send();
        statuses.push(res.status);
        if (res.status === 200) bodies.push(await res.json());
        else await res.text();
      } catch {
        statuses.push(0); // connection failure
      }
    }
  });
  return {
    get count() {
      return statuses.length;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return {
        statuses,
        bodies,
        failed: statuses.filter((s) => s !== 200).length,
      };
    },
  };
}

async function readyStatus(base: string): Promise<string> {
  const res = await fetch(`${base}/ready`);
  const body = (await res.json()) as { status?: string };
  return res.status === 200 ? (body.status ?? "?") : `http ${res.status}`;
}

async function until(what: string, ms: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!bin)("faults on a throwaway PostgreSQL", () => {
  let pg: ThrowawayPostgres;
  let registryHandle: DatabaseHandle;
  let decisionHandle: DatabaseHandle | undefined;
  let registry: ModelRegistry;
  let storeDir: string;
  let forecastDeps: ForecastDeps;
  let decisionDeps: DecisionDeps;
  let forecastServer: ReturnType<typeof Bun.serve>;
  let decisionServer: ReturnType<typeof Bun.serve>;
  let forecastBase: string;
  let decisionBase: string;
  let knownIds: string[];

  beforeAll(async () => {
    pg = ThrowawayPostgres.create(bin as string);
    storeDir = mkdtempSync(join(tmpdir(), "pp-faults-store-"));
    registryHandle = await createDatabase({ databaseUrl: pg.url, maxConnections: 4 });
    await registryHandle.migrate();
    registry = new ModelRegistry(registryHandle.db, new FileArtifactStore(storeDir));
    await ensureDemoModel({ registry, modelName: "purchase", customers: 600, seed: 3 });
    const v1 = await registry.getProductionVersion("purchase");
    knownIds = (await readAllCustomerFeatures(registryHandle.db, v1?.id ?? 0)).map(
      (r) => r.customerId,
    );

    forecastDeps = buildForecastDeps(parseForecastConfig({}), {
      runtime: "test",
      modelSource: registryModelSource({
        registry,
        db: registryHandle.db,
        modelName: "purchase",
        engine: ortEngine,
        driver: "postgres",
      }),
      overrides: { logger: quiet },
    });
    expect(await forecastDeps.model.refresh()).toBe("loaded");
    forecastDeps.model.startPolling(POLL_MS);
    forecastServer = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: createForecastApp(forecastDeps).fetch,
    });
    forecastBase = `http://127.0.0.1:${forecastServer.port}`;

    decisionDeps = buildDecisionDeps(
      parseDecisionConfig({
        API_KEYS: "k",
        FORECAST_URL: forecastBase,
        POLICY_CACHE_MS: "3600000",
      }),
      {
        runtime: "test",
        database: lazyDatabase(async () => {
          decisionHandle = await openDecisionDatabase({
            DATABASE_URL: pg.url,
            DECISION_DATA_DIR: "",
          });
          return decisionHandle.db;
        }),
        overrides: { logger: quiet },
      },
    );
    decisionServer = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: createDecisionApp(decisionDeps).fetch,
    });
    decisionBase = `http://127.0.0.1:${decisionServer.port}`;
  }, 120_000);

  afterAll(async () => {
    forecastDeps?.model.stopPolling();
    forecastServer?.stop(true);
    decisionServer?.stop(true);
    await decisionDeps?.audit.close(2000);
    if (decisionHandle) await closeWithin(decisionHandle, 2000);
    if (registryHandle) await closeWithin(registryHandle, 2000);
    pg?.destroy();
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  }, 30_000);

  const forecastBody = () =>
    JSON.stringify({
      horizon: { value: 13, unit: "week" },
      customers: knownIds.slice(0, 20).map((id) => ({ id })),
    });
  const forecastLoad = () =>
    load(3, () =>
      fetch(`${forecastBase}/forecast`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: forecastBody(),
      }),
    );
  const decisionLoad = () =>
    load(3, () =>
      fetch(`${decisionBase}/decision`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({
          customer: { id: knownIds[1] },
          horizon: { value: 13, unit: "week" },
          actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
        }),
      }),
    );

  const d0 = () => async () => {
    const res = await fetch(`${decisionBase}/decision`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({
        customer: { id: knownIds[1] },
        horizon: { value: 13, unit: "week" },
        actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
      }),
    });
    await res.text();
    return res.status;
  };

  test("PostgreSQL stopped mid-load: forecasts keep coming (degraded), decisions 503 while it is away, every 200 logged", async () => {
    expect(await readyStatus(forecastBase)).toBe("ready");
    const forecasts = forecastLoad();
    const decisions = decisionLoad();
    await until("some traffic", 20_000, async () => forecasts.count > 20 && decisions.count > 20);

    pg.stop();
    await until(
      "forecast /ready to say degraded",
      10_000,
      async () => (await readyStatus(forecastBase)) === "degraded",
    );
    const ready = (await (await fetch(`${forecastBase}/ready`)).json()) as {
      checks: Array<{ name: string; degraded?: boolean; reason?: string }>;
    };
    expect(ready.checks[0]).toMatchObject({ name: "model", degraded: true });
    const during = forecasts.count;
    await until(
      "decisions refused while the log is down",
      20_000,
      async () => (await fetch(`${decisionBase}/ready`)).status === 503,
    );
    // A decision asked now (the log knows the database is away) is refused at once. The load's
    // own requests may all have been waiting for a commit that lands after a short outage.
    const refused = await d0()();
    await until("forecasts during the outage", 10_000, async () => forecasts.count > during + 20);

    pg.start();
    await until(
      "forecast /ready back to ready",
      20_000,
      async () => (await readyStatus(forecastBase)) === "ready",
    );
    const decisionsBack = d0();
    await until("decisions flowing again", 10_000, async () => (await decisionsBack()) === 200);
    const f = await forecasts.stop();
    const d = await decisions.stop();
    expect(f.failed).toBe(0);
    // Decisions: 200 or 503 (refused while the log could not commit), nothing else.
    expect(d.statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(refused).toBe(503);
    expect(decisionDeps.audit.pending).toBe(0);
    const answered = d.bodies.map((b) => (b as { decision_id: string }).decision_id);
    const db = decisionHandle?.db;
    if (!db) throw new Error("decision database never opened");
    const rows = await db.select({ id: decisionLog.decisionId }).from(decisionLog);
    const written = new Set(rows.map((r) => r.id));
    // Every answered decision is in the log, exactly once (no other writer uses this database
    // except the warm-up-free load above, so the counts match too).
    expect(answered.filter((id) => !written.has(id))).toEqual([]);
    // Plus the probe decisions, and possibly a 503 whose commit landed as the database went away.
    expect(rows.length).toBeGreaterThanOrEqual(new Set(answered).size);
    console.log(
      `outage: ${f.statuses.length} forecasts, ${d.bodies.length} decisions answered 200 and ${d.statuses.length - d.bodies.length} refused with 503; ${rows.length} decision-log rows`,
    );
  }, 90_000);

  /** Registers a copy of the production version's artifacts and customers as a new version. */
  async function registerCopy(promote: boolean) {
    const current = await registry.getProductionVersion("purchase");
    if (!current) throw new Error("no production version");
    const artifacts = [];
    for (const a of current.artifacts)
      artifacts.push({ name: a.name, bytes: await registry.loadArtifact(current, a.name) });
    const rows = await readAllCustomerFeatures(registryHandle.db, current.id);
    return registry.registerVersion("purchase", {
      artifacts,
      params: current.params,
      metrics: current.metrics,
      dataWindow: current.dataWindow,
      timeUnit: current.timeUnit,
      trainedAt: new Date(),
      customerFeatures: rows.map((r) => ({
        customerId: r.customerId,
        summary: r.summary,
        features: r.features,
      })),
      promote,
    });
  }

  test("a version promoted during load is swapped in by the poller: zero failed requests", async () => {
    const next = await registerCopy(false);
    const forecasts = forecastLoad();
    const decisions = decisionLoad();
    await until("some traffic", 20_000, async () => forecasts.count > 20);
    await registry.promote("purchase", next.version);
    await until(
      "the new version to answer",
      20_000,
      async () => forecastDeps.model.current?.identity.version === next.version,
    );
    const swappedAt = forecasts.count;
    await until("traffic after the swap", 20_000, async () => forecasts.count > swappedAt + 20);
    const f = await forecasts.stop();
    const d = await decisions.stop();
    expect({ forecastFailures: f.failed, decisionFailures: d.failed }).toEqual({
      forecastFailures: 0,
      decisionFailures: 0,
    });
    const versions = f.bodies.map((b) => (b as { model: { version: number } }).model.version);
    expect(versions).toContain(next.version);
    expect(versions.at(-1)).toBe(next.version);
    expect(await readyStatus(forecastBase)).toBe("ready");
  }, 60_000);

  test("a promoted version with a corrupt artifact is refused; the old model keeps serving", async () => {
    const serving = forecastDeps.model.current?.identity.version as number;
    const bad = await registerCopy(false);
    const onnx = bad.artifacts.find((a) => a.name === BUNDLE_FILES.gbdtCount);
    if (!onnx) throw new Error("no count model artifact");
    writeFileSync(fileURLToPath(onnx.uri), new Uint8Array([8, 7, 1, 2, 3]));
    const forecasts = forecastLoad();
    await registry.promote("purchase", bad.version);
    await until(
      "the refusal to show in /ready",
      10_000,
      async () => (await readyStatus(forecastBase)) === "degraded",
    );
    await until("more traffic", 10_000, async () => forecasts.count > 40);
    const f = await forecasts.stop();
    expect(f.failed).toBe(0);
    expect(forecastDeps.model.current?.identity.version).toBe(serving);
    expect(
      f.bodies.every((b) => (b as { model: { version: number } }).model.version === serving),
    ).toBe(true);
    const metrics = await (await fetch(`${forecastBase}/metrics`)).text();
    expect(
      Number(/^model_load_failures_total\{reason="checksum"\} (\S+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(0);
    const ready = (await (await fetch(`${forecastBase}/ready`)).json()) as {
      checks: Array<{ reason?: string }>;
    };
    expect(ready.checks[0]?.reason).toContain(`v${bad.version}`);
  }, 60_000);
});
