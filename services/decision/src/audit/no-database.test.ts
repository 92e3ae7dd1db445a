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

// The admin routes read the database directly: without one they answered 500 "Internal server
// error", with nothing said of why.
test("no database: every admin route is a 503 naming why, never a 500", async () => {
  const deps = buildDecisionDeps(parseConfig({ ADMIN_API_KEYS: "adm" }), {
    runtime: "workerd",
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const app = createApp(deps);
  const auth = { authorization: "Bearer adm", "content-type": "application/json" };
  const calls: Array<[string, string, unknown?]> = [
    ["GET", "/admin/keys"],
    ["POST", "/admin/keys", { name: "n", scopes: ["decide"] }],
    ["GET", "/admin/policies"],
    ["GET", "/admin/customers/c/decisions"],
    ["DELETE", "/admin/customers/c/decisions"],
    ["POST", "/admin/decision-log/prune", { older_than_days: 30 }],
  ];
  for (const [method, path, body] of calls) {
    const res = await app.request(path, {
      method,
      headers: auth,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(`${method} ${path} ${res.status} ${error.code}`).toBe(
      `${method} ${path} 503 unavailable`,
    );
    expect(error.message).toContain("no database is configured on this runtime (workerd)");
  }
  await deps.audit.close(100);
});
