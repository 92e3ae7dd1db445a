// Test support: both service apps in one process with real dependencies: the forecast app serving
// a small demo bundle trained in memory (onnxruntime-web), the decision app on a fresh PGlite
// database calling the forecast app in-process. Also writes that bundle to a directory for
// services started as real processes (MODEL_SOURCE=bundle:<dir>).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import type { Hono } from "hono";
import { createApp as createDecisionApp } from "../decision/src/app.ts";
import { parseConfig as parseDecisionConfig } from "../decision/src/config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../decision/src/deps.ts";
import { inProcessTransport } from "../decision/src/forecast-client/forecast-transports.ts";
import { writeBundleDir } from "../forecast/scripts/export-bundle.ts";
import { createApp as createForecastApp } from "../forecast/src/app.ts";
import { parseConfig as parseForecastConfig } from "../forecast/src/config.ts";
import { buildForecastDeps, type ForecastDeps } from "../forecast/src/deps.ts";
import { bundleModelSource } from "../forecast/src/model/model-sources.ts";
import { ortEngine } from "../forecast/src/model/ort-engine.ts";
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
  const decisionDeps = buildDecisionDeps(parseDecisionConfig({ API_KEYS: "k", ...env.decision }), {
    runtime: "test",
    database: async () => db.handle.db,
    forecastTransport: inProcessTransport(forecast),
    overrides: { logger: quiet },
  });
  const decision = createDecisionApp(decisionDeps);
  return {
    forecast: forecast as unknown as Hono<never>,
    decision: decision as unknown as Hono<never>,
    forecastDeps,
    decisionDeps,
    async close() {
      await decisionDeps.audit.close(5000);
      await db.cleanup();
    },
  };
}
