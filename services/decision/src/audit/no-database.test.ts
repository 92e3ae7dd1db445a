// Without a database (Workers today) decisions are refused at once with 503, /ready says why in
// a few words, and the writer does not keep retrying in the background.
import { expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";

test("no database: 503 at once, /ready failing with a short reason, no retry loop", async () => {
  const deps = buildDecisionDeps(parseConfig({ API_KEYS: "k" }), {
    runtime: "workerd",
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const app = createApp(deps);
  const ready = await app.request("/ready");
  expect(ready.status).toBe(503);
  const body = (await ready.json()) as {
    error: { details: { checks: Array<{ name: string; status: string; reason?: string }> } };
  };
  const log = body.error.details.checks.find((c) => c.name === "decision_log");
  expect(log?.status).toBe("failing");
  expect(log?.reason).toContain("NO_DATABASE_CONFIGURED");
  const started = performance.now();
  const res = await app.request("/decision", {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: JSON.stringify({
      customer: { id: "c" },
      horizon: { value: 1, unit: "week" },
      actions: [{ id: "email", cost: 1, uplift: 0.1, margin: 1 }],
    }),
  });
  expect(res.status).toBe(503);
  expect(performance.now() - started).toBeLessThan(500);
  await Bun.sleep(300);
  // The background loop gave up at once: no probe attempts accumulate.
  expect(deps.metrics.expose()).toMatch(/^decision_log_write_failures_total 1$/m);
  await deps.audit.close(100);
});
