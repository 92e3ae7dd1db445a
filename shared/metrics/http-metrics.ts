// Middleware recording `http_requests_total` and `http_request_duration_seconds` per
// service, matched route pattern, method and status.
import type { MiddlewareHandler } from "hono";
import { routePattern } from "../http/route-pattern.ts";
import type { MetricsRegistry } from "./registry.ts";

export interface HttpMetricsOptions {
  registry: MetricsRegistry;
  service: string;
  /** Monotonic clock in milliseconds. */
  now: () => number;
  buckets?: readonly number[];
}

// Any other method string a client sends is folded into one label value.
const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function httpMetrics(options: HttpMetricsOptions): MiddlewareHandler {
  const { registry, service, now } = options;
  const requests = registry.counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by service, route pattern, method and status.",
    labelNames: ["service", "route", "method", "status"],
  });
  const duration = registry.histogram({
    name: "http_request_duration_seconds",
    help: "Time to produce the HTTP response, by service, route pattern, method and status.",
    labelNames: ["service", "route", "method", "status"],
    ...(options.buckets ? { buckets: options.buckets } : {}),
  });

  return async function recordHttpMetrics(c, next) {
    const started = now();
    try {
      await next();
    } finally {
      const labels = {
        service,
        route: routePattern(c),
        method: knownMethods.has(c.req.method) ? c.req.method : "OTHER",
        // Errors are handled by onError before reaching here, so c.res holds the real status.
        status: String(c.res.status),
      };
      requests.inc(labels);
      duration.observe(labels, Math.max(0, (now() - started) / 1000));
    }
  };
}
