// The Hono app both services start from: request id + wide log line, HTTP metrics, the shared
// error shape (incl. 404/405), and the operational routes /health, /ready and /metrics.
import { Hono } from "hono";
import { handleError, notFoundHandler } from "../errors/error-handler.ts";
import { requestLogger } from "../logging/request-logger.ts";
import { httpMetrics } from "../metrics/http-metrics.ts";
import { presetAnswerHeaders } from "./answer-headers.ts";
import type { AppEnv } from "./app-env.ts";
import { compressAnswers } from "./compress-answers.ts";
import { headContentLength } from "./head-length.ts";
import { rateLimit } from "./rate-limit.ts";
import { registerHealth } from "./routes/health.ts";
import { registerMetrics } from "./routes/metrics.ts";
import { registerReady } from "./routes/ready.ts";
import type { ServiceDeps } from "./service-deps.ts";

export function createServiceApp(deps: ServiceDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestLogger({ logger: deps.logger, now: deps.now }));
  app.use(httpMetrics({ registry: deps.metrics, service: deps.service, now: deps.now }));
  // After logging and metrics, so throttled requests are logged and counted (429).
  if (deps.rateLimiter) {
    app.use(rateLimit(deps.rateLimiter, deps.rateLimitKeyOf ? { keyOf: deps.rateLimitKeyOf } : {}));
  }
  // HEAD answers get the GET's Content-Length; JSON answers of 1 KiB or more are gzip for clients
  // that accept it (never for HEAD). One middleware, not two: each layer costs every request.
  const headLength = headContentLength();
  const compress = compressAnswers(deps.selfCompressedPaths);
  // And every answer, errors included, gets the headers of answer-headers.ts (set before the
  // handler: Hono builds the answer with them).
  app.use((c, next) => {
    presetAnswerHeaders(c);
    return c.req.method === "HEAD" ? headLength(c, next) : compress(c, next);
  });
  app.onError(handleError);
  app.notFound(notFoundHandler(app));

  deps.metrics
    .gauge({
      name: "service_info",
      help: "Always 1; labels carry the service name and version.",
      labelNames: ["service", "version"],
    })
    .set({ service: deps.service, version: deps.version }, 1);

  registerHealth(app, deps);
  registerReady(app, deps);
  registerMetrics(app, deps);
  return app;
}
