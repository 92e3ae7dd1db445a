// The Workers side of the service: config from bindings, the model from the bundled data modules
// (or MODEL_SOURCE=url:...), loaded once per isolate on the first request, never polled (a Worker
// is redeployed for a new model). The engine is chosen by the entry, so the lite build never
// imports onnxruntime-web.
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { configOrError } from "@pp/shared/http/worker-start-up.ts";
import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps, type ForecastDeps } from "../deps.ts";
import type { GbdtEngine } from "../model/gbdt-engine.ts";
import type { ModelSource } from "../model/model-holder.ts";
import { bundleModelSource, urlReader } from "../model/model-sources.ts";

export interface WorkerOptions {
  runtime: string;
  engine: GbdtEngine;
  bundled: Record<string, ArrayBuffer>;
}

function sourceFor(deps: { config: ForecastDeps["config"] }, options: WorkerOptions): ModelSource {
  const spec = deps.config.MODEL_SOURCE;
  if (spec.kind === "url") {
    return bundleModelSource({
      read: urlReader(spec.url),
      description: `url:${spec.url}`,
      engine: options.engine,
    });
  }
  return bundleModelSource({
    read: async (name) => {
      const bytes = options.bundled[name];
      if (!bytes)
        throw new Error(`no bundled file ${name}; run scripts/export-bundle.ts before building`);
      return new Uint8Array(bytes);
    },
    description: "bundled",
    engine: options.engine,
  });
}

export function workerHandler(options: WorkerOptions) {
  let app: Hono<AppEnv> | undefined;
  let loading: Promise<unknown> | undefined;
  return {
    async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
      if (!app) {
        const config = configOrError(parseConfig, env);
        if (config instanceof Response) return config;
        const deps = buildForecastDeps(config, {
          runtime: options.runtime,
          modelSource: sourceFor({ config }, options),
        });
        app = createApp(deps);
        deps.logger.info("loading model", {
          source: deps.model.sourceDescription,
          engine: options.engine.name,
        });
        loading = deps.model.refresh();
      }
      // The first requests wait for the model (once per isolate); /health never does.
      if (loading && new URL(request.url).pathname !== "/health") await loading;
      return app.fetch(request, env, ctx);
    },
  };
}
