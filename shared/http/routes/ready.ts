// GET /ready: 200 once every readiness check passes (status "degraded" when one works around a
// failure), else 503 `not_ready` naming the reasons.
import type { Hono } from "hono";
import { AppError } from "../../errors/app-error.ts";
import type { AppEnv } from "../app-env.ts";
import { runReadinessChecks } from "../readiness.ts";
import type { ServiceDeps } from "../service-deps.ts";

export function registerReady(app: Hono<AppEnv>, deps: ServiceDeps): void {
  app.get("/ready", async (c) => {
    const report = await runReadinessChecks(deps.readiness, { now: deps.now });
    if (report.ready)
      return c.json({ status: report.degraded ? "degraded" : "ready", checks: report.checks });
    const reasons = report.checks
      .filter((check) => !check.ok)
      .map((check) => `${check.name}: ${check.reason}`);
    throw new AppError("not_ready", `Not ready: ${reasons.join("; ")}`, {
      details: { checks: report.checks },
      headers: { "Retry-After": "1" },
    });
  });
}
