// GET /metrics: the service's Prometheus registry in text format 0.0.4.
import type { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { ServiceDeps } from "../service-deps.ts";

export function registerMetrics(app: Hono<AppEnv>, deps: ServiceDeps): void {
  app.get("/metrics", (c) =>
    c.body(deps.metrics.expose(), 200, { "Content-Type": deps.metrics.contentType }),
  );
}
