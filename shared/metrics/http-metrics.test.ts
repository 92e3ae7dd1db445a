import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { AppError } from "../errors/app-error.ts";
import { handleError, notFoundHandler } from "../errors/error-handler.ts";
import { httpMetrics } from "./http-metrics.ts";
import { MetricsRegistry } from "./registry.ts";

function instrumentedApp() {
  const registry = new MetricsRegistry();
  let clock = 0;
  const app = new Hono();
  app.use(httpMetrics({ registry, service: "svc", now: () => clock, buckets: [0.01, 0.1] }));
  app.onError(handleError);
  app.notFound(notFoundHandler(app));
  app.get("/customers/:id", (c) => {
    clock += 50; // 50 ms
    return c.json({ ok: true });
  });
  app.post("/fail", () => {
    throw new AppError("bad_gateway", "upstream down");
  });
  return { app, registry };
}

describe("httpMetrics", () => {
  test("counts by route pattern, method and status, and times each request", async () => {
    const { app, registry } = instrumentedApp();
    await app.request("/customers/1");
    await app.request("/customers/2");
    await app.request("/fail", { method: "POST" });
    await app.request("/fail"); // 405
    await app.request("/random/404");

    const text = registry.expose();
    expect(text).toContain(
      'http_requests_total{service="svc",route="/customers/:id",method="GET",status="200"} 2',
    );
    expect(text).toContain(
      'http_requests_total{service="svc",route="/fail",method="POST",status="502"} 1',
    );
    expect(text).toContain(
      'http_requests_total{service="svc",route="unmatched",method="GET",status="405"} 1',
    );
    expect(text).toContain(
      'http_requests_total{service="svc",route="unmatched",method="GET",status="404"} 1',
    );
    expect(text).not.toContain("/customers/1");
    // 50 ms lands above the 0.01 and below the 0.1 bucket bound.
    const labels = 'service="svc",route="/customers/:id",method="GET",status="200"';
    expect(text).toContain(`http_request_duration_seconds_bucket{${labels},le="0.01"} 0`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${labels},le="0.1"} 2`);
    expect(text).toContain(`http_request_duration_seconds_sum{${labels}} 0.1`);
  });
});
