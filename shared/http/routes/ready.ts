// GET /ready: 200 once every readiness check passes (status "degraded" when one works around a
// failure), else 503 `not_ready` naming the reasons.
import type { Hono } from "hono";
import * as z from "zod";
import { AppError } from "../../errors/app-error.ts";
import type { AppEnv } from "../app-env.ts";
import { runReadinessChecks } from "../readiness.ts";
import type { ServiceDeps } from "../service-deps.ts";

/** One readiness check as /ready reports it (also in the 503's details.checks). */
const readinessCheckSchema = z.object({
  name: z.string(),
  status: z.enum(["ok", "degraded", "failing"]),
  ok: z.boolean(),
  degraded: z.boolean().optional(),
  reason: z.string().optional(),
  duration_ms: z.number(),
});

/** The answer of GET /ready when ready (documented in /openapi.json). */
export const readyAnswerSchema = z.object({
  status: z.enum(["ready", "degraded"]),
  checks: z.array(readinessCheckSchema),
});

export function registerReady(app: Hono<AppEnv>, deps: ServiceDeps): void {
  app.get("/ready", async (c) => {
    const report = await runReadinessChecks(deps.readiness, { now: deps.now });
    if (report.ready) {
      const answer: z.infer<typeof readyAnswerSchema> = {
        status: report.degraded ? "degraded" : "ready",
        checks: report.checks,
      };
      return c.json(answer);
    }
    const reasons = report.checks
      .filter((check) => !check.ok)
      .map((check) => `${check.name}: ${check.reason}`);
    throw new AppError("not_ready", `Not ready: ${reasons.join("; ")}`, {
      details: { checks: report.checks },
      headers: { "Retry-After": "1" },
    });
  });
}
