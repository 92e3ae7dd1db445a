// The routes every service serves alike, documented once: /health, /ready, /metrics,
// /openapi.json and /docs (each service still says what its readiness checks), and the two
// documentation routes themselves, serving the generated document and its HTML page.
import type { Hono } from "hono";
import type { AppEnv } from "./app-env.ts";
import { type OpenApiDocument, type OperationSpec, renderDocsPage } from "./openapi.ts";
import { HTML_PAGE_HEADERS } from "./page-headers.ts";
import { healthAnswerSchema } from "./routes/health.ts";
import { readyAnswerSchema } from "./routes/ready.ts";

/** What a service's /ready checks, in its own words. */
export type ReadinessSpec = Pick<OperationSpec, "summary" | "responses">;

/** A 429 on the documentation routes, where the service rate-limits every route but the probes. */
const limited = { "429": "Rate limited (RATE_LIMIT_RPS, per key or client address)" };

/**
 * The operational operations, after a service's own ones in its document. `rateLimited`: the
 * service's rate limit covers /openapi.json and /docs too (never /health, /ready, /metrics).
 */
export function operationalOperationSpecs(
  ready: ReadinessSpec,
  options: { rateLimited?: boolean } = {},
): OperationSpec[] {
  const docsLimit = options.rateLimited ? limited : {};
  return [
    {
      method: "get",
      path: "/health",
      summary: "Liveness",
      response: healthAnswerSchema,
      responseName: "Health",
      responses: { "200": "Alive" },
    },
    {
      method: "get",
      path: "/ready",
      response: readyAnswerSchema,
      responseName: "Ready",
      ...ready,
    },
    {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics (text format 0.0.4)",
      produces: "text/plain",
      responses: { "200": "Metrics" },
    },
    {
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      produces: "application/json",
      responses: { "200": "OpenAPI 3.1", ...docsLimit },
    },
    {
      method: "get",
      path: "/docs",
      summary: "Human-readable documentation",
      produces: "text/html",
      responses: { "200": "HTML", ...docsLimit },
    },
  ];
}

/** GET /openapi.json and GET /docs (the page shows `example`, e.g. a curl command). */
export function registerOpenApiRoutes(
  app: Hono<AppEnv>,
  document: OpenApiDocument,
  example?: string,
): void {
  const page = renderDocsPage(document, example);
  app.get("/openapi.json", (c) => c.json(document));
  app.get("/docs", (c) => c.html(page, 200, HTML_PAGE_HEADERS));
}
