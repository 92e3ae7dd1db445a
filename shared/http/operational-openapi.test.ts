// The operational routes' shared documentation: a service app with only those routes serves a
// valid OpenAPI 3.1 document describing exactly the routes it registers, and the HTML page.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../logging/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import {
  documentedOperations,
  openApi31Validator,
  registeredOperations,
} from "../testing/openapi-checks.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { operationalOperationSpecs, registerOpenApiRoutes } from "./operational-openapi.ts";
import { createServiceApp } from "./service-app.ts";

function bareService() {
  const app = createServiceApp({
    service: "bare",
    version: "1.0.0",
    logger: createLogger({ sink: () => {} }),
    metrics: new MetricsRegistry(),
    now: () => 0,
    readiness: [],
  });
  const ready = { summary: "Readiness of the bare service", responses: { "200": "Ready" } };
  const document = buildOpenApiDocument(
    { title: "bare", version: "1.0.0", description: "Only the operational routes." },
    operationalOperationSpecs(ready),
  );
  registerOpenApiRoutes(app, document, "curl -s localhost/health");
  return app;
}

describe("operational routes' documentation", () => {
  test("valid OpenAPI 3.1 naming exactly the registered routes, with each one's media type", async () => {
    const app = bareService();
    const res = await app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
    };
    const validate = openApi31Validator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    expect(documentedOperations(doc)).toEqual(registeredOperations(app));
    expect(registeredOperations(app)).toEqual([
      "get /docs",
      "get /health",
      "get /metrics",
      "get /openapi.json",
      "get /ready",
    ]);
    expect(Object.keys(doc.paths["/docs"]?.get?.responses["200"]?.content ?? {})).toEqual([
      "text/html",
    ]);
    expect(Object.keys(doc.paths["/metrics"]?.get?.responses["200"]?.content ?? {})).toEqual([
      "text/plain",
    ]);
    expect(doc.paths["/ready"]?.get).toMatchObject({ summary: "Readiness of the bare service" });
  });

  test("GET /docs is the HTML page with the example", async () => {
    const res = await bareService().request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("curl -s localhost/health");
  });
});
