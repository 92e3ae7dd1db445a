// GET /metrics: the service's Prometheus registry in text format 0.0.4. Each scrape also runs the
// readiness checks (Prometheus never calls /ready), recorded as `service_ready`.
import type { Hono } from "hono";
import { readinessMetrics } from "../../metrics/readiness-metrics.ts";
import type { AppEnv } from "../app-env.ts";
import { runReadinessChecks } from "../readiness.ts";
import type { ServiceDeps } from "../service-deps.ts";

export function registerMetrics(app: Hono<AppEnv>, deps: ServiceDeps): void {
  const readiness = readinessMetrics(deps.metrics, deps.service);
  app.get("/metrics", async (c) => {
    readiness.record(await runReadinessChecks(deps.readiness, { now: deps.now }));
    return c.body(deps.metrics.expose(), 200, { "Content-Type": deps.metrics.contentType });
  });
}
