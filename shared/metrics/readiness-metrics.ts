// Readiness as metrics: `/ready` answers load balancers, but Prometheus only scrapes `/metrics`,
// so each scrape runs the readiness checks and records the outcome (alert: ServiceNotReady).
import type { ReadinessReport } from "../http/readiness.ts";
import type { MetricsRegistry } from "./registry.ts";

export function readinessMetrics(registry: MetricsRegistry, service: string) {
  const ready = registry.gauge({
    name: "service_ready",
    help: "1 when every readiness check passes (what /ready answers 200 for), else 0.",
    labelNames: ["service"],
  });
  const checks = registry.gauge({
    name: "service_readiness_check",
    help: "1 when the named readiness check passes (degraded included), else 0.",
    labelNames: ["service", "check"],
  });
  // A degraded check passes (traffic keeps coming) but works around a failure: the registry
  // away (a cached model served), the forecast service away (decisions 503 or fall back). It
  // read 1 above, so the readiness panel showed all well while /ready said "degraded".
  const degraded = registry.gauge({
    name: "service_readiness_check_degraded",
    help: "1 when the named readiness check passes in a degraded mode (working around a failure), else 0.",
    labelNames: ["service", "check"],
  });
  return {
    record(report: ReadinessReport): void {
      ready.set({ service }, report.ready ? 1 : 0);
      checks.reset();
      degraded.reset();
      for (const check of report.checks) {
        checks.set({ service, check: check.name }, check.ok ? 1 : 0);
        degraded.set({ service, check: check.name }, check.degraded ? 1 : 0);
      }
    },
  };
}
