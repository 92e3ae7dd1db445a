// GET /health: liveness only, cheap and dependency-free (dependencies belong to /ready).
import type { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { ServiceDeps } from "../service-deps.ts";

export function registerHealth(app: Hono<AppEnv>, deps: ServiceDeps): void {
  const startedAt = deps.now();
  app.get("/health", (c) =>
    c.json({
      status: "ok",
      service: deps.service,
      version: deps.version,
      uptime_s: Math.round(deps.now() - startedAt) / 1000,
    }),
  );
}
