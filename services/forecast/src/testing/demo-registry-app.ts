// Test support: the forecast app serving a demo registry's production model (onnxruntime-web),
// with polling off so a test loads the model when it asks (deps.model.refresh()).
import { createLogger } from "@pp/shared/logging/logger.ts";
import type { Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { registryModelSource } from "../model/model-sources.ts";
import { ortEngine } from "../model/ort-engine.ts";
import type { DemoRegistry } from "./demo-registry.ts";

export function appOnDemoRegistry(
  demo: DemoRegistry,
  options: { env?: Record<string, string>; logLines?: string[] } = {},
) {
  const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0", ...options.env }), {
    runtime: "test",
    modelSource: registryModelSource({
      registry: demo.registry,
      db: demo.handle.db,
      modelName: demo.modelName,
      engine: ortEngine,
      driver: "pglite",
    }),
    overrides: { logger: createLogger({ sink: (line) => options.logLines?.push(line) }) },
  });
  return { deps, app: createApp(deps) as unknown as Hono<never> };
}
