// The Workers side of the service: config from bindings; the model from R2 behind a KV pointer
// (MODEL_SOURCE=r2), from the data modules compiled into the build (`bundled`, also r2's fallback
// while no version is published), or over HTTP (`url:...`). Loaded once per isolate on the first
// request; after that, at most every MODEL_POLL_INTERVAL_MS a request checks the source again
// inside ctx.waitUntil (Workers run no timers between requests), and a new version is swapped in
// without a redeploy. The engine is chosen by the entry, so the lite build never imports
// onnxruntime-web.
import { AppError, errorResponse } from "@pp/shared/errors/app-error.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { configOrError } from "@pp/shared/http/worker-start-up.ts";
import { atMost } from "@pp/shared/process/within.ts";
import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../app.ts";
import type { ForecastConfig } from "../config.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps, type ForecastDeps } from "../deps.ts";
import { BUNDLE_INDEX } from "../model/exported-bundle.ts";
import type { GbdtEngine } from "../model/gbdt-engine.ts";
import type { ModelSource } from "../model/model-holder.ts";
import { bundleModelSource, urlReader } from "../model/model-sources.ts";
import { type ArtifactBucket, type PointerStore, r2ModelSource } from "../model/r2-source.ts";
import { FirstLoadRetry } from "./first-load-retry.ts";

/**
 * How long a request waits for a model load under way before it gets the 503 (the model keeps
 * loading): a source that stalled (accepting, never answering) held every request for its own
 * 30 s timeout. Cold loads measured 0.4-4 s (1,000,000 customers: 4 s).
 */
const FIRST_LOAD_WAIT_MS = 10_000;

/**
 * A model refresh unanswered this long is abandoned for a new one at the next poll: Cloudflare
 * cancels a request's waitUntil work about 30 s after its answer, and a refresh whose KV/R2 read
 * hung past that never settles, so every later poll joined it and no new version was ever seen.
 * As long as /ready's "stuck" bound, so a refresh /ready calls stuck is also the one replaced.
 */
const ABANDON_REFRESH_AFTER_MS = 60_000;

export interface WorkerOptions {
  runtime: string;
  engine: GbdtEngine;
  bundled: Record<string, ArrayBuffer>;
}

function bundledSource(options: WorkerOptions, memoryLimitMb: number): ModelSource {
  return bundleModelSource({
    memoryLimitMb,
    read: async (name) => {
      const bytes = options.bundled[name];
      if (!bytes) throw new Error(`no bundled file ${name}; the build step exports it`);
      return new Uint8Array(bytes);
    },
    description: "bundled",
    engine: options.engine,
  });
}

function hasMethod<T>(value: unknown, method: string): value is T {
  return typeof (value as Record<string, unknown> | undefined)?.[method] === "function";
}

function sourceFor(
  config: ForecastConfig,
  env: Record<string, unknown>,
  options: WorkerOptions,
): ModelSource {
  const spec = config.MODEL_SOURCE;
  const memoryLimitMb = config.WORKER_MEMORY_LIMIT_MB;
  if (spec.kind === "url") {
    return bundleModelSource({
      memoryLimitMb,
      read: urlReader(spec.url),
      description: `url:${spec.url}`,
      engine: options.engine,
    });
  }
  if (spec.kind === "r2") {
    const pointer = env.MODEL_POINTER;
    const bucket = env.MODEL_ARTIFACTS;
    if (!hasMethod<PointerStore>(pointer, "get") || !hasMethod<ArtifactBucket>(bucket, "get")) {
      throw new Error(
        "MODEL_SOURCE=r2 needs the KV binding MODEL_POINTER and the R2 binding MODEL_ARTIFACTS",
      );
    }
    return r2ModelSource({
      pointer,
      bucket,
      modelName: config.MODEL_NAME,
      engine: options.engine,
      memoryLimitMb,
      ...(BUNDLE_INDEX in options.bundled
        ? { fallback: bundledSource(options, memoryLimitMb) }
        : {}),
    });
  }
  return bundledSource(options, memoryLimitMb);
}

export function workerHandler(options: WorkerOptions) {
  let app: Hono<AppEnv> | undefined;
  let deps: ForecastDeps | undefined;
  let loading: Promise<unknown> | undefined;
  let lastCheck = 0;
  let firstLoadRetry: FirstLoadRetry | undefined;
  // A settled load is forgotten: waiting on it again (atMost's timer) cost every warm request.
  const track = (load: Promise<unknown>) => {
    loading = load;
    const forget = () => {
      if (loading === load) loading = undefined;
    };
    load.then(forget, forget);
    return load;
  };
  return {
    async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
      if (!app || !deps) {
        const config = configOrError(parseConfig, env);
        if (config instanceof Response) return config;
        let modelSource: ModelSource;
        try {
          modelSource = sourceFor(config, env, options);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          console.error(JSON.stringify({ level: "error", msg: message }));
          return errorResponse(new AppError("unavailable", message));
        }
        deps = buildForecastDeps(config, {
          runtime: options.runtime,
          modelSource,
          abandonRefreshAfterMs: ABANDON_REFRESH_AFTER_MS,
        });
        app = createApp(deps);
        deps.logger.info("loading model", {
          source: deps.model.sourceDescription,
          engine: options.engine.name,
          poll_interval_ms: config.MODEL_POLL_INTERVAL_MS,
        });
        // The load's I/O (KV, R2, fetch) belongs to this request: keep it alive until done,
        // even when this request is a /health that answers at once, or hangs up: the requests
        // awaiting `loading` then failed for good (worker-aborted-load.test.ts).
        ctx.waitUntil(track(deps.model.refresh()));
        lastCheck = Date.now();
        firstLoadRetry = new FirstLoadRetry(deps.config.MODEL_POLL_INTERVAL_MS);
      }
      const interval = deps.config.MODEL_POLL_INTERVAL_MS;
      if (!deps.model.current && firstLoadRetry?.due()) {
        // No model yet and the last load failed: this request tries again and waits for it, as
        // the first one did (its I/O kept alive by waitUntil).
        lastCheck = Date.now();
        ctx.waitUntil(track(deps.model.refresh()));
      } else if (interval > 0 && Date.now() - lastCheck >= interval) {
        lastCheck = Date.now();
        ctx.waitUntil(deps.model.refresh());
      }
      // Replaced models are released here: Workers run no timer of a request that has ended.
      const releasing = deps.model.releaseDue();
      if (releasing) ctx.waitUntil(releasing);
      // The first requests wait for the model (once per isolate), up to a bound; /health never does.
      if (loading && new URL(request.url).pathname !== "/health") {
        await atMost(loading, FIRST_LOAD_WAIT_MS);
      }
      return app.fetch(request, env, ctx);
    },
  };
}
