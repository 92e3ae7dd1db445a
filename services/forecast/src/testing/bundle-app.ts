// Test support: the forecast app serving bundle files from memory (TypeScript engine, no polling,
// quiet logs), and a demo bundle whose manifest is edited the way some training runs write it.
import { createLogger } from "@pp/shared/logging/logger.ts";
import type { Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { encodeBundle } from "../model/exported-bundle.ts";
import { bundleModelSource } from "../model/model-sources.ts";
import { typescriptEngine } from "../model/typescript-engine.ts";
import { memoryReader, trainDemoBundle } from "./demo-bundle.ts";

/** The app with the bundle loaded (`env`: more configuration), and the ids of the customers it stores. */
export async function appServingBundle(
  files: Map<string, Uint8Array>,
  env: Record<string, string> = {},
): Promise<{ app: Hono<never>; ids: string[] }> {
  const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0", ...env }), {
    runtime: "test",
    modelSource: bundleModelSource({
      read: memoryReader(files),
      description: "test",
      engine: typescriptEngine,
    }),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const app = createApp(deps) as unknown as Hono<never>;
  const loaded = await deps.model.refresh();
  if (loaded !== "loaded") throw new Error(`the test bundle did not load: ${loaded}`);
  return { app, ids: deps.model.current?.customers.columns.ids ?? [] };
}

/** A demo bundle's files after `edit` changed its model.json (hashes recomputed). */
export async function demoBundleWithManifest(
  options: { customers: number; seed: number },
  edit: (manifest: Record<string, unknown>) => void,
): Promise<Map<string, Uint8Array>> {
  const demo = await trainDemoBundle(options);
  const manifest = JSON.parse(new TextDecoder().decode(demo.raw.files.get("model.json")));
  edit(manifest);
  const files = new Map(demo.raw.files);
  files.set("model.json", new TextEncoder().encode(JSON.stringify(manifest)));
  return encodeBundle({ ...demo.raw, files });
}
