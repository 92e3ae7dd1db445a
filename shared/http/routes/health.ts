// GET /health: liveness only, cheap and dependency-free (dependencies belong to /ready).
import type { Hono } from "hono";
import * as z from "zod";
import type { AppEnv } from "../app-env.ts";
import type { ServiceDeps } from "../service-deps.ts";

/** The answer of GET /health (documented in /openapi.json). */
export const healthAnswerSchema = z.object({
  status: z.literal("ok"),
  service: z.string(),
  version: z.string(),
  uptime_s: z.number().describe("Seconds since the service started"),
});

export function registerHealth(app: Hono<AppEnv>, deps: ServiceDeps): void {
  const startedAt = deps.now();
  app.get("/health", (c) => {
    const answer: z.infer<typeof healthAnswerSchema> = {
      status: "ok",
      service: deps.service,
      version: deps.version,
      uptime_s: Math.round(deps.now() - startedAt) / 1000,
    };
    return c.json(answer);
  });
}
