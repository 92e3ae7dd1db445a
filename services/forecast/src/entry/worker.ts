// Cloudflare Workers entry (wrangler / workerd): config comes from the `env` bindings; the app
// is built once per isolate, on the first request.
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { configOrError } from "@pp/shared/http/worker-start-up.ts";
import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";

let app: Hono<AppEnv> | undefined;

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
    if (!app) {
      const config = configOrError(parseConfig, env);
      if (config instanceof Response) return config;
      app = createApp(buildForecastDeps(config, { runtime: "workerd" }));
    }
    return app.fetch(request, env, ctx);
  },
};
