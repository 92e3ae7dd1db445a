// Readiness in /metrics tells what /ready tells: a check passing in a degraded mode read 1 like a
// healthy one, so the readiness panel showed all well while /ready said "degraded".
import { expect, test } from "bun:test";
import { runReadinessChecks } from "../http/readiness.ts";
import { readinessMetrics } from "./readiness-metrics.ts";
import { MetricsRegistry } from "./registry.ts";

test("a degraded check: ready and passing, and degraded 1; a failing one: 0 and not ready", async () => {
  const registry = new MetricsRegistry();
  const metrics = readinessMetrics(registry, "decision");
  metrics.record(
    await runReadinessChecks([
      {
        name: "forecast",
        check: async () => ({ ok: true, degraded: true, reason: "forecast away" }),
      },
      { name: "decision_log", check: async () => ({ ok: true }) },
    ]),
  );
  let text = registry.expose();
  expect(text).toContain('service_ready{service="decision"} 1');
  expect(text).toContain('service_readiness_check{service="decision",check="forecast"} 1');
  expect(text).toContain('service_readiness_check_degraded{service="decision",check="forecast"} 1');
  expect(text).toContain(
    'service_readiness_check_degraded{service="decision",check="decision_log"} 0',
  );
  metrics.record(
    await runReadinessChecks([
      { name: "forecast", check: async () => ({ ok: true }) },
      { name: "decision_log", check: async () => ({ ok: false, reason: "down" }) },
    ]),
  );
  text = registry.expose();
  expect(text).toContain('service_ready{service="decision"} 0');
  expect(text).toContain('service_readiness_check{service="decision",check="decision_log"} 0');
  expect(text).toContain('service_readiness_check_degraded{service="decision",check="forecast"} 0');
});
