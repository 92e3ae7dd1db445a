// The routes every service serves alike, documented once: /health, /ready, /metrics,
// /openapi.json and /docs (each service still says what its readiness checks), and the two
// documentation routes themselves, serving the generated document and its HTML page.
import type { Hono } from "hono";
import type { AppEnv } from "./app-env.ts";
import { type OpenApiDocument, type OperationSpec, renderDocsPage } from "./openapi.ts";
import { HTML_PAGE_HEADERS } from "./page-headers.ts";

/** What a service's /ready checks, in its own words. */
export type ReadinessSpec = Pick<OperationSpec, "summary" | "responses">;

/** The operational operations, after a service's own ones in its document. */
export function operationalOperationSpecs(ready: ReadinessSpec): OperationSpec[] {
  return [
    { method: "get", path: "/health", summary: "Liveness", responses: { "200": "Alive" } },
    { method: "get", path: "/ready", ...ready },
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
      responses: { "200": "OpenAPI 3.1" },
    },
    {
      method: "get",
      path: "/docs",
      summary: "Human-readable documentation",
      produces: "text/html",
      responses: { "200": "HTML" },
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
