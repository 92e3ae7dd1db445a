// Middleware recording `http_requests_total` and `http_request_duration_seconds` per
// service, matched route pattern, method and status.
import type { MiddlewareHandler } from "hono";
import { routePattern } from "../http/route-pattern.ts";
import type { BoundCounter, BoundHistogram } from "./metric.ts";
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

  // The two series of each route, method and status, bound on its first request: a request then
  // looks up one map entry instead of checking and joining its four labels once per metric.
  const bound = new Map<string, { requests: BoundCounter; duration: BoundHistogram }>();
  const seriesOf = (route: string, method: string, status: string) => {
    const key = `${route}\u0000${method}\u0000${status}`;
    let pair = bound.get(key);
    if (!pair) {
      const labels = { service, route, method, status };
      pair = { requests: requests.bind(labels), duration: duration.bind(labels) };
      bound.set(key, pair);
    }
    return pair;
  };

  return async function recordHttpMetrics(c, next) {
    const started = now();
    try {
      await next();
    } finally {
      const method = c.req.method;
      // Errors are handled by onError before reaching here, so c.res holds the real status.
      const pair = seriesOf(
        routePattern(c),
        knownMethods.has(method) ? method : "OTHER",
        String(c.res.status),
      );
      pair.requests.inc();
      pair.duration.observe(Math.max(0, (now() - started) / 1000));
    }
  };
}
