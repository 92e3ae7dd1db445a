// The decision service as a Hono app built from injected deps (runtime-neutral).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { createServiceApp } from "@pp/shared/http/service-app.ts";
import type { Hono } from "hono";
import type { DecisionDeps } from "./deps.ts";

export function createApp(deps: DecisionDeps): Hono<AppEnv> {
  const app = createServiceApp(deps);
  // Decision routes register here, e.g. registerDecisionRoutes(app, deps).
  return app;
}
