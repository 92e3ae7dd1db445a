// Test support: both service apps in one process with real dependencies, built from their public
// entries: the forecast app serving a small demo bundle trained in memory (onnxruntime-web), the
// decision app on a fresh PGlite database calling the forecast app in-process (also for /ready). Also writes that bundle to a directory for
// services started as real processes (MODEL_SOURCE=bundle:<dir>).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "@pp/shared/db/database.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import type { Hono } from "hono";
import {
  buildDecisionDeps,
  createApp as createDecisionApp,
  type DecisionDeps,
  forecastReadyCheck,
  inProcessTransport,
  parseConfig as parseDecisionConfig,
} from "../decision/src/index.ts";
import { writeBundleDir } from "../forecast/scripts/export-bundle.ts";
import {
  buildForecastDeps,
  bundleModelSource,
  createApp as createForecastApp,
  type ForecastDeps,
  ortEngine,
  parseConfig as parseForecastConfig,
} from "../forecast/src/index.ts";
import { type DemoBundle, trainDemoBundle } from "../forecast/src/testing/demo-bundle.ts";

let demo: Promise<DemoBundle> | null = null;

/** The demo bundle (600 simulated customers), trained once per process. */
export function demoBundle(): Promise<DemoBundle> {
  demo ??= trainDemoBundle({ customers: 600, seed: 5 });
  return demo;
}

export async function demoCustomerIds(): Promise<string[]> {
  return (await demoBundle()).raw.customerRows.map((row) => row.customerId);
}

/** The demo bundle written to a fresh temp directory, for MODEL_SOURCE=bundle:<dir>. */
export async function writeDemoBundleDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "pp-demo-bundle-"));
  writeBundleDir((await demoBundle()).files, dir);
  return dir;
}

export interface InProcessServices {
  forecast: Hono<never>;
  decision: Hono<never>;
  forecastDeps: ForecastDeps;
  decisionDeps: DecisionDeps;
  /** The decision service's PGlite database. */
  database: Database;
  close(): Promise<void>;
}

export async function startInProcessServices(
  env: { forecast?: Record<string, string>; decision?: Record<string, string> } = {},
): Promise<InProcessServices> {
  const quiet = createLogger({ sink: () => {} });
  const { files } = await demoBundle();
  const forecastDeps = buildForecastDeps(
    parseForecastConfig({ MODEL_POLL_INTERVAL_MS: "0", ...env.forecast }),
    {
      runtime: "test",
      modelSource: bundleModelSource({
        read: async (name) => {
          const bytes = files.get(name);
          if (!bytes) throw new Error(`no ${name} in the demo bundle`);
          return bytes;
        },
        description: "demo bundle (in memory)",
        engine: ortEngine,
      }),
      overrides: { logger: quiet },
    },
  );
  if ((await forecastDeps.model.refresh()) !== "loaded")
    throw new Error("demo bundle did not load");
  const forecast = createForecastApp(forecastDeps);
  const db: TestDatabase = await openTestDatabase("pglite");
  const decisionConfig = parseDecisionConfig({ API_KEYS: "k", ...env.decision });
  const decisionDeps = buildDecisionDeps(decisionConfig, {
    runtime: "test",
    database: async () => db.handle.db,
    forecastTransport: inProcessTransport(forecast),
    overrides: { logger: quiet },
  });
  // decision's /ready asks forecast's /ready: here the in-process app answers it.
  const inProcessFetch = (async (input: RequestInfo | URL) =>
    forecast.request(new URL(String(input)).pathname)) as typeof fetch;
  decisionDeps.readiness = decisionDeps.readiness.map((check) =>
    check.name === "forecast" ? forecastReadyCheck(decisionConfig, inProcessFetch) : check,
  );
  const decision = createDecisionApp(decisionDeps);
  return {
    forecast: forecast as unknown as Hono<never>,
    decision: decision as unknown as Hono<never>,
    forecastDeps,
    decisionDeps,
    database: db.handle.db,
    async close() {
      await decisionDeps.audit.close(5000);
      await db.cleanup();
    },
  };
}
